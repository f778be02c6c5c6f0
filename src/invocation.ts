import { basename, delimiter, dirname, isAbsolute, relative, resolve, sep } from 'node:path'
import { quoteForShell } from './steps/process/command-line.js'

const NAME = 'switchyard'

/**
 * How the operator started this CLI, as they would type it again: `switchyard` (on PATH),
 * `npx switchyard` (npm's bin link, from npx or an npm script), `./bin/run.js` (a path in this
 * folder) or the script's full path. Every hint that names a command starts with it.
 */
export function invocation(): string {
  const [, script] = process.argv
  const cwd = process.cwd()
  if (!script) return NAME
  const file = resolve(cwd, script)
  const folder = dirname(file)
  if (basename(folder) === '.bin' && basename(dirname(folder)) === 'node_modules') return `npx ${NAME}`
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .some((entry) => entry && resolve(cwd, entry) === folder)
  if (onPath) return basename(file)
  const inHere = relative(cwd, file)
  return quoteForShell(inHere && !inHere.startsWith('..') && !isAbsolute(inHere) ? `.${sep}${inHere}` : file)
}
