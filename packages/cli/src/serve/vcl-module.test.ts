/**
 * VCL::Module::Provisioning::provkit and VCL::Module::OS::provkit (integrations/vcl), run by
 * Debian's perl through the harness that stands in for vcld's DataStructure, against the real
 * `provkit serve` with the no-host test module: every VCL subroutine's request and the mapping
 * of its answer into VCL's values (READY/RELOAD, megabytes, 1/0, '' and undef).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPerlTap } from '../../test-support/run-perl.ts';

describe('the VCL provisioning module (Perl) over provkit serve', () => {
  it("maps VCL's subroutines onto provkit serve's methods and their answers into VCL's values", async () => {
    const project = mkdtempSync(join(tmpdir(), 'provkit-vcl-module-'));
    const installed = join(project, 'node_modules', 'provkit-serve-test-module');
    mkdirSync(installed, { recursive: true });
    cpSync(join(import.meta.dirname, '..', '..', 'test-support', 'serve-module'), installed, { recursive: true });
    const callsFile = join(project, 'calls.log');
    writeFileSync(callsFile, '');
    const config = join(project, 'provkit.yaml');
    writeFileSync(config, `provisioner: { kind: "module:provkit-serve-test-module", callsFile: ${JSON.stringify(callsFile)} }\nos: { kind: "module:provkit-serve-test-module", callsFile: ${JSON.stringify(callsFile)} }\n`);

    const run = await runPerlTap({ script: 'module.t', cwd: project, config });

    expect(run.failed, run.stdout + run.stderr).toEqual([]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.planned).toBe(27);
    expect(run.passed).toHaveLength(27);
    expect(run.passed).toContain('get_image_size: megabytes (1048576 allocated bytes)');
    // One server for the whole run (the calls of one process), closed when perl exits.
    expect(readFileSync(callsFile, 'utf8').split('\n').filter(Boolean)).toEqual([
      'nodeStatus web-1', 'nodeStatus web-1', 'doesImageExist other-v1', 'doesImageExist wanted-v1', 'getImageSize wanted-v1',
      'load web-1 wanted-v1', 'randomizeAdminPasswords web-1', 'capture web-1 wanted-v1',
      'powerStatus web-1', 'powerOff web-1 hard', 'powerOn web-1', 'powerReset web-1',
      'getCurrentImage web-1', 'getCurrentImage blank', 'getCurrentImage gone', 'load web-1 broken-v1',
      'preCapture web-1', 'createUser web-1 alice', 'grantAccess web-1 203.0.113.7 22', 'setPassword web-1 alice', 'readCurrentImage web-1', 'unload web-1',
      'close provisioner', 'close os',
    ]);
    expect(run.stdout + run.stderr).not.toContain('Canary-Pass-77');
  });
});
