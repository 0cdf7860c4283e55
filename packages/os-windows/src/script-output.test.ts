import { describe, expect, it } from 'vitest';
import { outputValue, outputValues, parseAppxProblems, parseImageState } from './script-output.ts';

describe('script output parsing', () => {
  it('reads key=value lines, CRLF or LF, ignoring other lines', () => {
    const stdout = 'noise\r\nuser=Administrator\r\nuser=labadmin\r\nstate=created\r\n';
    expect(outputValues(stdout, 'user')).toEqual(['Administrator', 'labadmin']);
    expect(outputValue(stdout, 'state')).toBe('created');
    expect(outputValue(stdout, 'missing')).toBeUndefined();
  });

  it('reads the AppX problems Sysprep would trip on', () => {
    const stdout = 'user-only\tContoso.App_1.0.0.0_x64__abc\r\nupdated\tMicrosoft.WindowsCalculator_10.2103.8.0_x64__8wekyb3d8bbwe\t10.1906.55.0\r\n';
    expect(parseAppxProblems(stdout)).toEqual([
      { kind: 'user-only', packageFullName: 'Contoso.App_1.0.0.0_x64__abc' },
      { kind: 'updated', packageFullName: 'Microsoft.WindowsCalculator_10.2103.8.0_x64__8wekyb3d8bbwe', provisionedVersion: '10.1906.55.0' },
    ]);
    expect(parseAppxProblems('')).toEqual([]);
  });

  it('reads ImageState, whether sysprep runs, and setuperr.log lines', () => {
    expect(parseImageState('state=IMAGE_STATE_COMPLETE\r\nsysprep=running\r\n')).toEqual({ state: 'IMAGE_STATE_COMPLETE', sysprepRunning: true, errors: [] });
    expect(parseImageState('state=IMAGE_STATE_COMPLETE\r\nsysprep=stopped\r\nsetuperr:2026-11-23 03:01:02, Error SYSPRP Package x was installed for a user\r\nsetuperr:\r\n')).toEqual({
      state: 'IMAGE_STATE_COMPLETE',
      sysprepRunning: false,
      errors: ['2026-11-23 03:01:02, Error SYSPRP Package x was installed for a user'],
    });
  });
});
