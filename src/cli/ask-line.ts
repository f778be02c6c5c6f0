import { Writable } from 'node:stream'
import type { LeavingKey } from '../engine/approvals.js'

export interface LineQuestion {
  message: string
  default?: string
  validate?: (text: string) => boolean | string
}

/** Asks for one line on the terminal, drawn on `output`; or says which key the operator left it with. */
export async function askLine(
  question: LineQuestion,
  output: Writable,
): Promise<{ answer: string } | { leftWith: LeavingKey }> {
  const { input } = await import('@inquirer/prompts')
  const endOfInput = new AbortController()
  const stdin = process.stdin
  const onKeypress = (_typed: string | undefined, key: { ctrl?: boolean; name?: string } | undefined) => {
    if (!key?.ctrl || key.name !== 'd') return
    // readline closes itself (pausing stdin) on Ctrl-D at an empty line; elsewhere Ctrl-D deletes a character.
    setImmediate(() => {
      if (stdin.isPaused()) endOfInput.abort()
    })
  }
  stdin.on('keypress', onKeypress)
  try {
    return { answer: await input(question, { output: ownStream(output), signal: endOfInput.signal }) }
  } catch (error) {
    if (endOfInput.signal.aborted) return { leftWith: 'Ctrl-D' }
    // In raw mode Ctrl-C reaches readline as a key, not the process as SIGINT: inquirer rejects with this.
    if (error instanceof Error && error.name === 'ExitPromptError') return { leftWith: 'Ctrl-C' }
    throw error
  } finally {
    stdin.off('keypress', onKeypress)
  }
}

/** inquirer ends the stream it drew on when its question is answered: the next question needs its own. */
function ownStream(target: Writable): Writable {
  const stream = new Writable({
    write(chunk, encoding, callback) {
      target.write(chunk, encoding)
      callback()
    },
  })
  // inquirer wraps its lines at the stream's width; the terminal's, not 80 columns.
  return Object.assign(stream, { columns: process.stdout.columns })
}
