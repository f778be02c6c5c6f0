// Preloaded into the CLI by the memory runs only (NODE_OPTIONS=--import=<this file>): on exit, writes
// the process's peak resident set size in KiB to the file named by SWITCHYARD_BENCH_RSS_FILE.
import { writeFileSync } from 'node:fs'

const file = process.env.SWITCHYARD_BENCH_RSS_FILE
if (file) process.on('exit', () => writeFileSync(file, `${process.resourceUsage().maxRSS}\n`))
