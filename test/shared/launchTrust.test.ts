import { describe, expect, it } from 'vitest';
import { trustNeededFor } from '../../src/shared/launchTrust';

describe('what a debug configuration may do in Restricted Mode', () => {
  it('refuses launching QEMU, naming the program', () => {
    expect(trustNeededFor({ request: 'launch', args: ['-kernel', 'vmlinux'] })).toMatch(/starts a program .*qemu-system-x86_64/);
    expect(trustNeededFor({ request: 'launch', qemuPath: '/opt/evil', args: [] })).toMatch(/\/opt\/evil/);
  });

  it('allows opening a dump', () => {
    expect(trustNeededFor({ request: 'launch', core: 'guest.core' })).toBeUndefined();
    expect(trustNeededFor({ request: 'launch', raw: 'guest.img' })).toBeUndefined();
  });

  it('refuses an attach that may read QEMU\'s RAM from the host, saying what to set instead', () => {
    for (const physicalMemory of [undefined, 'auto', 'file', 'proc']) {
      const why = trustNeededFor({ request: 'attach', port: 1234, physicalMemory });
      expect(why).toMatch(/read QEMU's RAM from the host/);
      expect(why).toMatch(/"physicalMemory": "qemu"/);
    }
    expect(trustNeededFor({ request: 'attach' })).toMatch(/auto, the default/);
  });

  it('allows an attach that reads through the stub only', () => {
    expect(trustNeededFor({ request: 'attach', physicalMemory: 'qemu' })).toBeUndefined();
    expect(trustNeededFor({ request: 'attach', physicalMemory: 'identity' })).toBeUndefined();
    expect(trustNeededFor({ request: 'attach', physicalMemory: { directMap: '0xffff830000000000' } })).toBeUndefined();
  });

  it('treats a launch of QEMU with stub-only memory as still needing trust (it spawns a program)', () => {
    expect(trustNeededFor({ request: 'launch', args: [], physicalMemory: 'qemu' })).toMatch(/starts a program/);
  });
});
