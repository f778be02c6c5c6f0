// Records every module a process loads, for test/startup-imports.test.ts. Preload it with
// `node --import <this file> bin/run.js ...` and SWITCHYARD_MODULE_LOG=<file>. It appends to that file
// one line per event: `spec <specifier>` and `esm <url>` for every ESM import, as written and as
// resolved (a resolve hook registered with module.register, so an import that fails still shows),
// and at exit `cjs <url>` for every CommonJS module in require.cache (require() in Node 20 does not
// go through ESM hooks).
import { appendFileSync } from 'node:fs'
import { createRequire, register } from 'node:module'
import { pathToFileURL } from 'node:url'

const log = process.env.SWITCHYARD_MODULE_LOG
if (log) {
  // The hooks run on their own thread and get the log file through `data`.
  const hooks = `
    import { appendFileSync } from 'node:fs'
    let log
    export function initialize(data) { log = data.log }
    export async function resolve(specifier, context, nextResolve) {
      appendFileSync(log, 'spec ' + specifier + '\\n')
      const result = await nextResolve(specifier, context)
      appendFileSync(log, 'esm ' + result.url + '\\n')
      return result
    }
  `
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url, { data: { log } })
  const cache = createRequire(import.meta.url).cache
  process.on('exit', () => {
    const lines = Object.keys(cache).map((file) => `cjs ${pathToFileURL(file).href}\n`)
    appendFileSync(log, lines.join(''))
  })
}
