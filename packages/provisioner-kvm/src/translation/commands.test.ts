import { shellJoin } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { fileCommands, leftoverCommands, overlayFromTemplate, qemuImgConvert, qemuImgCreateOverlay, qemuImgInfo, qemuImgResize, virshCommands } from './commands.ts';

describe('virsh commands', () => {
  const virsh = virshCommands('qemu:///system');
  it('names the connection and the domain by option, one word each', () => {
    expect(virsh.domState('web-1')).toEqual(['virsh', '--quiet', '--connect', 'qemu:///system', 'domstate', '--reason', '--domain', 'web-1']);
    expect(virsh.defineFromStdin()).toEqual(['virsh', '--quiet', '--connect', 'qemu:///system', 'define', '--file', '/dev/stdin']);
    expect(virsh.shutdown('web-1').slice(4)).toEqual(['shutdown', '--domain', 'web-1', '--mode', 'acpi']);
    expect(virsh.domBlkList('web-1').slice(4)).toEqual(['domblklist', '--domain', 'web-1', '--details']);
    expect(virsh.listAll().slice(4)).toEqual(['list', '--all']);
  });
  it('quotes hostile values as single shell words when rendered', () => {
    expect(shellJoin(virsh.domState("x'; reboot #"))).toBe(`virsh --quiet --connect qemu:///system domstate --reason --domain 'x'\\''; reboot #'`);
  });
});

describe('qemu-img commands', () => {
  it('creates an overlay with explicit formats and an absolute backing file', () => {
    expect(qemuImgCreateOverlay('/lib/base-v1.qcow2', '/nodes/n1.qcow2')).toEqual(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', '/lib/base-v1.qcow2', '/nodes/n1.qcow2']);
    expect(qemuImgCreateOverlay('/lib/base-v1.qcow2', '/nodes/n1.qcow2', 21474836480).at(-1)).toBe('21474836480');
  });
  it('copies an overlay from a template named after the backing file and size, quoting every path', () => {
    const plain = overlayFromTemplate({ backing: "/lib/base-v1.qcow2", overlay: "/nodes/n'1.qcow2", templateDir: '/lib/.provkit/overlay-templates/base-v1' }).text;
    expect(plain).toContain(`stat -c %i.%s.%.9Y.%.9Z -- /lib/base-v1.qcow2)`);
    expect(plain).toContain(`t=/lib/.provkit/overlay-templates/base-v1/$k''.qcow2`);
    expect(plain).toContain(`cp -- "$t" '/nodes/n'\\''1.qcow2'`);
    // The template is written whole under a temporary name, then renamed into place.
    expect(plain).toMatch(/mktemp -- "\$t\.XXXXXX".*mv -f -- "\$n" "\$t"/);
    const grown = overlayFromTemplate({ backing: '/lib/base-v1.qcow2', overlay: '/nodes/n1.qcow2', sizeBytes: 21474836480, templateDir: '/t' }).text;
    expect(grown).toContain(`t=/t/$k.21474836480.qcow2`);
    expect(grown).toContain(`/nodes/n1.qcow2 21474836480 &&`);
  });
  it('flattens with or without compression', () => {
    expect(qemuImgConvert('/nodes/n1.qcow2', '/lib/.tmp')).toEqual(['qemu-img', 'convert', '-q', '-f', 'qcow2', '-O', 'qcow2', '/nodes/n1.qcow2', '/lib/.tmp']);
    expect(qemuImgConvert('/a', '/b', { compress: true })).toContain('-c');
  });
  it('reads info shared, as JSON, optionally with the backing chain', () => {
    expect(qemuImgInfo('/lib/a b.qcow2')).toEqual(['qemu-img', 'info', '--force-share', '--output=json', '/lib/a b.qcow2']);
    expect(qemuImgInfo('/x', { backingChain: true })).toContain('--backing-chain');
    expect(shellJoin(qemuImgInfo('/lib/a b.qcow2'))).toBe(`qemu-img info --force-share --output=json '/lib/a b.qcow2'`);
  });
  it('resizes to a byte count', () => {
    expect(qemuImgResize('/n.qcow2', 1024)).toEqual(['qemu-img', 'resize', '-q', '-f', 'qcow2', '/n.qcow2', '1024']);
  });
});

describe('file commands', () => {
  it('quote every path as one shell word', () => {
    expect(fileCommands.remove(['/a b', "/c'd"]).text).toBe(`rm -f -- '/a b' '/c'\\''d'`);
    expect(fileCommands.isFile('/x y').text).toBe(`test -f '/x y'`);
    expect(fileCommands.write('/state/n 1/intent.json').text).toBe(`mkdir -p -- '/state/n 1' && cat >'/state/n 1/intent.json'`);
    expect(fileCommands.readIfAny('/s/i.json').text).toBe(`cat -- /s/i.json 2>/dev/null || true`);
    expect(fileCommands.listFiles('/lib', '*.qcow2').text).toBe(`find /lib -maxdepth 1 -type f -name '*.qcow2' -printf '%f\\n'`);
    expect(fileCommands.removeMatching('/lib', '.base.qcow2.part-*').text).toBe(`find /lib -maxdepth 1 -type f -name '.base.qcow2.part-*' -print -delete`);
  });
  it('reads each image in one loop, marking the ones qemu-img failed on', () => {
    expect(fileCommands.imageInfoLines(['/lib/a.qcow2', '/n/b c.qcow2']).text).toMatch(/^for f in \/lib\/a\.qcow2 '\/n\/b c\.qcow2'; do .*printf '!%s\\n' "\$f"; fi; done$/);
  });
});

describe('leftover commands', () => {
  it('lists the three kinds of leftovers in one command, quoting each directory', () => {
    const text = leftoverCommands.listing({ nodeDiskDir: '/srv/my nodes', stateDir: '/srv/my nodes/.provkit', libraryDir: '/lib' }).text;
    expect(text).toContain(`find '/srv/my nodes' -maxdepth 1 -type f -printf 'node-file %f\\n'`);
    expect(text).toContain(`find '/srv/my nodes/.provkit' -maxdepth 1 -type f -name '*.intent.json' -printf 'intent %p\\n' 2>/dev/null`);
    expect(text).toMatch(/; true$/);
  });
  it('looks for qemu-img naming a file under any of the directories, and kills by pid', () => {
    expect(leftoverCommands.qemuImgProcesses(['/lib', '/n']).text).toBe(`ps -eo pid=,args= | grep -F -e /lib/ -e /n/ | grep -F qemu-img | grep -v -F grep || true`);
    expect(leftoverCommands.kill(4242).text).toBe('kill -KILL 4242 2>/dev/null || true');
  });
});
