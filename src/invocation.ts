import { basename, delimiter, dirname, isAbsolute, relative, resolve, sep } from 'node:path'

const NAME = 'switchyard'

/**
 * How the operator started this CLI, as they would type it again: `switchyard` (on PATH),
 * `npx switchyard` (npm's bin link, from npx or an npm script), `./bin/run.js` (a path in this
 * folder) or the script's full path. Every hint that names a command starts with it.
 */
export function invocation(
  script: string | undefined = process.argv[1],
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string {
  if (!script) return NAME
  const file = resolve(cwd, script)
  const folder = dirname(file)
  if (basename(folder) === '.bin' && basename(dirname(folder)) === 'node_modules') return `npx ${NAME}`
  const onPath = (env.PATH ?? '').split(delimiter).some((entry) => entry && resolve(cwd, entry) === folder)
  if (onPath) return basename(file)
  const inHere = relative(cwd, file)
  return shellWord(inHere && !inHere.startsWith('..') && !isAbsolute(inHere) ? `.${sep}${inHere}` : file)
}

/** The command line of a hint: `invocation()` followed by the words given. */
export const commandLine = (...words: string[]): string => [invocation(), ...words].join(' ')

/** A path with spaces or shell characters, quoted so the hint can be pasted. */
const shellWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
