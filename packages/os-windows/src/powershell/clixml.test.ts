import { describe, expect, it } from 'vitest';
import { decodeClixml } from './clixml.ts';

describe('decodeClixml', () => {
  it('turns the CLIXML error stream of powershell -EncodedCommand into its text', () => {
    const stderr =
      '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">' +
      '<S S="Error">Set-LocalUser : User alice was not found._x000D__x000A_</S>' +
      '<S S="Error">At line:4 char:1_x000D__x000A_</S>' +
      '<S S="Error">+ Set-LocalUser -Name &apos;alice&apos; &lt;x&gt;_x000D__x000A_</S></Objs>';
    expect(decodeClixml(stderr)).toBe("Set-LocalUser : User alice was not found.\r\nAt line:4 char:1\r\n+ Set-LocalUser -Name 'alice' <x>");
  });

  it('decodes a CLIXML body whose header line was cut off, and ignores progress records', () => {
    const stderr = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV></PR></MS></Obj><S S="Error">Access is denied._x000D__x000A_</S></Objs>';
    expect(decodeClixml(stderr)).toBe('Access is denied.');
  });

  it('drops ANSI colours and a repeated header', () => {
    const stderr = '#< CLIXML\r\n#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">_x001B_[91mWrite-Error: _x001B_[91mboomed_x001B_[0m_x000A_</S></Objs>';
    expect(decodeClixml(stderr)).toBe('Write-Error: boomed');
  });

  it('leaves plain stderr unchanged', () => {
    expect(decodeClixml('Access is denied.')).toBe('Access is denied.');
  });
});
