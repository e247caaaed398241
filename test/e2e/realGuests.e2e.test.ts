/**
 * The Page Tables view and the Address Space document on the guests users debug: a real Xen 4.17
 * with a PV dom0, and a real Linux 6.1 (Debian's packages, as test/xen and test/linux fetch them).
 * Truth: QEMU's own walker (`info tlb`) and Xen's layout (the direct map at 0xffff830000000000).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootLinux, type BootedQemu } from '../linux/linuxGuest';
import { bootXen, type BootedXen } from '../xen/xenGuest';
import { attachLaunchJson, e2eUnavailable, VsCode } from './vscode';

const unavailable = e2eUnavailable();
const TREE = '.pane:has(.pane-header[aria-label^="Page Tables"])';

async function expandRow(vs: VsCode, label: RegExp): Promise<void> {
  const row = vs.page.locator(`${TREE} .monaco-list-row`).filter({ hasText: label }).first();
  await row.waitFor({ timeout: 30_000 });
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
}

describe.skipIf(unavailable)('Xen 4.17 + PV dom0 in the Page Tables view', () => {
  let xen: BootedXen;
  let vs: VsCode;

  beforeAll(async () => {
    xen = await bootXen();
    vs = await VsCode.start({
      name: 'xen',
      files: { '.vscode/launch.json': attachLaunchJson('Attach Xen', xen.gdbPort, { symbols: [xen.xenSyms] }) },
    });
    await vs.widenSideBar(820);
    await vs.command('HyperFrame: Focus on Page Tables View');
    await vs.startDebugging('Attach Xen');
  }, 300_000);

  afterAll(async () => {
    await vs?.stop();
    await xen?.stop();
  });

  it("CPU 0's root is dom0's PV top-level table; Xen's direct-map slot maps what info tlb says", async () => {
    const rows = await vs.until('no vCPU roots', async () => {
      const r = await vs.treeRows(TREE);
      return r.some((x) => /^CPU 0 · CR3 0x[0-9a-f]+ · 4-level/.test(x)) ? r : undefined;
    }, 60_000);
    const cr3 = BigInt(/^CPU 0 · CR3 (0x[0-9a-f]+)/.exec(rows.find((r) => r.startsWith('CPU 0'))!)![1]);
    await xen.hmp('cpu 0');
    const regs = await xen.hmp('info registers');
    expect(BigInt(`0x${/CR3=([0-9a-f]+)/i.exec(regs)![1]}`)).toBe(cr3);
    await expandRow(vs, /^CPU 0 ·/);
    // PML4 slot 262 = 0xffff830000000000 >> 39 & 511: Xen's direct map of all RAM (Xen 4.17 x86_64).
    const slot = await vs.until('no PML4 slot 262 (Xen’s direct map)', async () => (await vs.treeRows(TREE)).find((r) => r.startsWith('[262] ffff8300_00000000–ffff837f_ffffffff → ')));
    expect(slot).toMatch(/ P RW A/);
    await expandRow(vs, /^\[262\] ffff8300_00000000/);
    // Its first PDPT entry maps physical 0 at 0xffff830000000000: QEMU's walker agrees.
    const first = await vs.until('no first entry under the direct map', async () => (await vs.treeRows(TREE)).find((r) => r.startsWith('[0] ffff8300_00000000–ffff8300_3fffffff')));
    const tlb = await xen.hmp('gva2gpa 0xffff830000000000');
    expect(tlb).toMatch(/gpa: (0x)?0+\s*$/m);
    expect(first).toMatch(/→ 0x/);
    await vs.screenshot('tree');
  });

  it('the linear page table slot is shown as a self-map and not descended', async () => {
    // 0xffff810000000000 >> 39 & 511 = 258: Xen's recursive slot in a PV guest's L4.
    const self = await vs.until('no self-map row for slot 258', async () => (await vs.treeRows(TREE)).find((r) => r.startsWith('[258] ffff8100_00000000')));
    expect(self).toMatch(/self-map/);
  });
});

describe.skipIf(unavailable)('Show Address Space on a real Linux 6.1 guest', () => {
  let linux: BootedQemu;
  let vs: VsCode;

  beforeAll(async () => {
    linux = await bootLinux();
    vs = await VsCode.start({ name: 'linux', files: { '.vscode/launch.json': attachLaunchJson('Attach Linux', linux.gdbPort) } });
    await vs.command('HyperFrame: Focus on Page Tables View');
    await vs.startDebugging('Attach Linux');
    await vs.until('no vCPU roots', async () => (await vs.treeRows(TREE)).some((x) => x.startsWith('CPU 0 ·')), 60_000);
  }, 300_000);

  afterAll(async () => {
    await vs?.stop();
    await linux?.stop();
  });

  it("CPU 0's space reads in merged ranges: its pages sum to info tlb's leaves, in under 200 lines", async () => {
    await vs.command('HyperFrame: Show Address Space');
    await vs.answer('CPU 0');
    const text = await vs.until('the address space document did not open', async () => {
      // Monaco draws spaces as no-break spaces.
      const lines = (await vs.page.locator('.editor-instance .view-lines').innerText()).replace(/\u00a0/g, ' ');
      return /pages in \d+ ranges/.test(lines) ? lines : undefined;
    }, 90_000);
    const head = /# long4, root (0x[0-9a-f]+): (\d+) pages in (\d+) ranges/.exec(text)!;
    await linux.hmp('cpu 0');
    const tlb = (await linux.hmp('info tlb')).split('\n').filter((l) => /^[0-9a-f]{16}: [0-9a-f]{16} /.test(l.trim()));
    // info tlb prints one line per leaf: 4 KiB, 2 MiB and 1 GiB pages alike.
    expect(Number(head[2])).toBe(tlb.length);
    // Merged by VA, rights and memory type, runs of like ranges folded (espfix maps one page
    // 65,536 times): a kernel's space reads in under 200 lines, as a gdb page-table dumper's does.
    const lines = await vs.editorLineCount();
    expect(lines).toBeLessThanOrEqual(200);
    expect(text).toMatch(/of them in repeat lines/);
    console.log(`[e2e] Linux address space: ${head[3]} ranges for ${head[2]} pages in ${lines} lines`);
    await vs.screenshot('address-space');
  });
});
