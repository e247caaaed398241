/** The launch configuration checker, QEMU's -gdb argument and how QEMU is started, without a target. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PAGING_MODE_OPTIONS, parseAttachConfig, parseLaunchConfig } from '../../src/debugAdapter/launchConfig';
import { CPU_PAGING_MODES } from '../../src/paging/modes';
import { gdbEndpointInArgs, spawnQemu } from '../../src/debugAdapter/qemuLauncher';

describe('attach configuration', () => {
  it('fills the defaults', () => {
    expect(parseAttachConfig({ type: 'hyperframe', request: 'attach', name: 'x', port: 1234 })).toEqual({
      kind: 'attach',
      host: '127.0.0.1',
      port: 1234,
      physicalMemory: 'auto',
      symbols: [],
      pagingMode: 'auto',
      root: undefined,
      stopOnAttach: true,
      leavePaused: false,
      timeoutMs: 5000,
      trace: false,
      viewBinaryData: true,
    });
  });

  it('reads every field', () => {
    const c = parseAttachConfig({
      host: 'xen-box',
      port: '9999',
      physicalMemory: { directMap: '0xffff830000000000' },
      symbols: ['/boot/xen-syms'],
      pagingMode: 'long4',
      root: '0x1_0000',
      stopOnAttach: false,
      leavePaused: true,
      timeout: 250,
    });
    expect(c).toMatchObject({
      host: 'xen-box',
      port: 9999,
      physicalMemory: { directMap: 0xffff830000000000n },
      symbols: ['/boot/xen-syms'],
      pagingMode: 'long4',
      root: 0x10000n,
      stopOnAttach: false,
      leavePaused: true,
      timeoutMs: 250,
    });
  });

  it.each([
    [{ port: 1234, host: '' }, /'host' must be a non-empty string, got ""/],
    [{ port: 1234, timeout: -1 }, /'timeout' must be a positive number of milliseconds, got -1/],
    [{ port: 1234, stopOnAttach: 'yes' }, /'stopOnAttach' must be true or false, got "yes"/],
    [{ port: 1234, physicalMemory: { directMap: '0x1', extra: 1 } }, /bad 'physicalMemory'/],
    [{ port: 1234, pagingMode: 'long4', root: 12.5 }, /'root' must be a "0x…" string, got 12\.5/],
    [{ port: 1234, pagingMode: 'long4', root: 'ffff' }, /'root': bad root 'ffff'/],
    [[1234], /attach: the configuration must be an object/],
  ])('refuses %j', (args, message) => {
    expect(() => parseAttachConfig(args)).toThrow(message);
  });
});

describe('launch configuration', () => {
  it('a core, a raw image with its base, or QEMU', () => {
    expect(parseLaunchConfig({ core: '/tmp/x.core' })).toMatchObject({ kind: 'dump', path: '/tmp/x.core', raw: false });
    expect(parseLaunchConfig({ raw: '/tmp/m.raw', base: '0x100000' })).toMatchObject({ kind: 'dump', raw: true, base: 0x100000n });
    expect(parseLaunchConfig({ args: ['-kernel', 'k'] })).toMatchObject({ kind: 'qemu', qemuPath: 'qemu-system-x86_64', args: ['-kernel', 'k'] });
  });

  it('refuses args that are not strings', () => {
    expect(() => parseLaunchConfig({ args: ['-m', 64] })).toThrow(/'args' must be a list of strings/);
  });
});

describe("QEMU's -gdb argument", () => {
  it('finds the port the user chose', () => {
    expect(gdbEndpointInArgs(['-s'])).toMatchObject({ host: '127.0.0.1', port: 1234 });
    expect(gdbEndpointInArgs(['-gdb', 'tcp::4321'])).toMatchObject({ host: '127.0.0.1', port: 4321 });
    expect(gdbEndpointInArgs(['-gdb', 'tcp:10.0.0.2:4321,ipv4'])).toEqual({ host: '10.0.0.2', port: 4321 });
    expect(gdbEndpointInArgs(['-gdb', 'tcp:127.0.0.1:4321'])).toEqual({ host: '127.0.0.1', port: 4321 });
    expect(gdbEndpointInArgs(['-kernel', 'k'])).toBeUndefined();
  });

  it('warns when it listens on every interface (-s, tcp::PORT, tcp:0.0.0.0:PORT), saying what keeps it local', () => {
    expect(gdbEndpointInArgs(['-s'])?.exposed).toMatch(/^'-s' makes QEMU's gdbstub listen on every network interface: whoever reaches port 1234 can read and write the guest; '-gdb tcp:127\.0\.0\.1:1234' keeps it/);
    expect(gdbEndpointInArgs(['-gdb', 'tcp::4321'])?.exposed).toMatch(/'-gdb tcp::4321' makes .* port 4321/);
    expect(gdbEndpointInArgs(['-gdb', 'tcp:0.0.0.0:4321'])?.exposed).toMatch(/every network interface/);
  });

  it('refuses one it cannot connect to', () => {
    expect(() => gdbEndpointInArgs(['-gdb', 'stdio'])).toThrow(/'-gdb stdio' is not tcp:HOST:PORT/);
  });
});

describe('starting QEMU', () => {
  it('passes each argument as one word to the program, never through a shell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hyperframe-noshell-'));
    const marker = join(dir, 'ran');
    // node stands in for QEMU: it prints the arguments it was given. A shell would run the $( ) and `…`.
    const hostile = [`$(touch ${marker})`, `\`touch ${marker}\``, `a; touch ${marker}`, 'two words', "it's"];
    let out = '';
    const q = await spawnQemu(process.execPath, ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...hostile, '-gdb', 'tcp:127.0.0.1:1'], (text) => (out += text));
    await q.exited;
    expect(JSON.parse(out.trim())).toEqual([...hostile, '-gdb', 'tcp:127.0.0.1:1']);
    expect(existsSync(marker)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('paging modes: one list', () => {
  // package.json cannot import the constant: its enums are checked against it here.
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
    contributes: {
      debuggers: { configurationAttributes: Record<string, { properties: { pagingMode: { enum: string[] } } }> }[];
      configuration: { properties: Record<string, { enum?: string[] }> };
    };
  };

  it("package.json's pagingMode (attach and launch) and hyperframe.decode.mode offer what the adapter accepts", () => {
    const attributes = pkg.contributes.debuggers[0].configurationAttributes;
    expect(Object.keys(attributes).sort()).toEqual(['attach', 'launch']);
    for (const request of ['attach', 'launch']) expect(attributes[request].properties.pagingMode.enum).toEqual(PAGING_MODE_OPTIONS);
    expect(pkg.contributes.configuration.properties['hyperframe.decode.mode'].enum).toEqual(PAGING_MODE_OPTIONS);
  });

  it('every mode a CPU selects is accepted, and nothing else', () => {
    for (const mode of CPU_PAGING_MODES) expect(parseAttachConfig({ port: 1, pagingMode: mode, root: '0x1000' }).pagingMode).toBe(mode);
    expect(() => parseAttachConfig({ port: 1, pagingMode: 'ept' })).toThrow(/bad 'pagingMode' "ept": expected one of auto, legacy32, pae, long4, long5/);
  });
});
