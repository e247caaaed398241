/**
 * What a `hyperframe` debug configuration may do in a workspace the user has not trusted. A
 * launch.json comes with the folder: in Restricted Mode it must not make HyperFrame start a program
 * it names (QEMU and its arguments) or read another process's memory on this host (QEMU's shared RAM
 * file, /proc/<pid>/mem — what `physicalMemory` "auto", "file" and "proc" do). Reading a dump file
 * and talking to a stub with QEMU's own physical mode stay allowed.
 */

/** Ways to reach physical memory that never touch the host's files or processes. */
const STUB_ONLY_PHYSICAL = ['qemu', 'identity'] as const;

function isStubOnly(physicalMemory: unknown): boolean {
  if (STUB_ONLY_PHYSICAL.some((w) => w === physicalMemory)) return true;
  return typeof physicalMemory === 'object' && physicalMemory !== null && 'directMap' in physicalMemory;
}

/**
 * Why `config` needs a trusted workspace, as one sentence that says what to change, or undefined
 * when it may run in Restricted Mode.
 */
export function trustNeededFor(config: Readonly<Record<string, unknown>>): string | undefined {
  if (config.request === 'launch') {
    if (config.qemuPath !== undefined || config.args !== undefined) {
      const program = typeof config.qemuPath === 'string' ? config.qemuPath : 'qemu-system-x86_64';
      return `this configuration starts a program named by the workspace (${program} with its 'args'); trust the workspace to launch QEMU, or attach to a QEMU you started`;
    }
    return undefined; // a core or raw image: read-only file access
  }
  if (!isStubOnly(config.physicalMemory)) {
    const shown = config.physicalMemory === undefined ? 'auto, the default' : JSON.stringify(config.physicalMemory);
    return `this configuration may read QEMU's RAM from the host (physicalMemory ${shown}: its shared RAM file or /proc/<pid>/mem); trust the workspace, or set "physicalMemory": "qemu" to read through the stub only`;
  }
  return undefined;
}
