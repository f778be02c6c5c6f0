import type { Hook } from '@oclif/core'
import { InvalidInputError } from '../errors.js'
import { invocation } from '../invocation.js'
import { closest } from '../runbook/suggest.js'
import { reportError, wantsJson } from './report-error.js'

/** A mistyped command: named, with the nearest real one, exit 2 (oclif would say "not found", exit 127). */
const commandNotFound: Hook<'command_not_found'> = async function ({ id, argv, config }) {
  const spoken = (name: string) => name.replaceAll(':', ' ')
  const topics = config.topics.map((t) => t.name)
  // oclif joins the words before the first flag into the id: the command is the first (or topic and next).
  const words = id.split(':')
  const typed = words.slice(0, topics.includes(words[0] as string) ? 2 : 1).join(' ')
  const known = [...config.commandIDs, ...topics].map(spoken)
  // Command names are short: a swapped pair of letters ("rnu") is two edits and still a typo.
  const match = closest(typed, known, Math.max(2, Math.floor(typed.length / 2)))
  const list = `${invocation()} --help lists every command`
  const error = new InvalidInputError(`${typed} is not a switchyard command`, {
    hint: match ? `did you mean ${match}? (${invocation()} ${match} --help)` : list,
  })
  reportError(error, wantsJson(argv ?? []))
  this.exit(error.exitCode)
}

export default commandNotFound
