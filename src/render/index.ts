import type { Writable } from 'node:stream'
import type { Observer } from '../engine/observer.js'
import { createJsonRenderer } from './json.js'
import { createLinesRenderer } from './lines.js'
import type { PromptHost } from './prompt-host.js'

export type { PromptHost, PromptSubject } from './prompt-host.js'

export interface RendererChoice {
  /** --json: NDJSON on the stream, nothing else. */
  json: boolean
  stream?: Writable & { isTTY?: boolean; columns?: number }
  env?: NodeJS.ProcessEnv
}

/** CI=false and CI=0 are how people say "not CI"; anything else set means CI. */
const inCI = (env: NodeJS.ProcessEnv) => env.CI !== undefined && !['', '0', 'false'].includes(env.CI)

/**
 * NDJSON if asked; a line per event off a terminal or in CI; listr2 (loaded only then) otherwise.
 * A terminal that reports no width (a pty nobody sized) gets lines too: listr2 would wrap every
 * character onto a line of its own.
 */
export async function chooseRenderer(choice: RendererChoice): Promise<Observer & PromptHost> {
  const stream = choice.stream ?? process.stdout
  const env = choice.env ?? process.env
  if (choice.json) return createJsonRenderer({ stream })
  if (stream.isTTY !== true || !stream.columns || inCI(env)) return createLinesRenderer({ stream, env })
  const { createListrRenderer } = await import('./listr.js')
  return createListrRenderer({ stream, env })
}
