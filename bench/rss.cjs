// Preloaded into the CLI by the benchmark: the process's peak RSS (KiB), written at exit to the
// file HF_RSS_FILE names.
const { writeFileSync } = require('node:fs');
process.on('exit', () => writeFileSync(process.env.HF_RSS_FILE, String(process.resourceUsage().maxRSS)));
