import type { Writable } from 'node:stream'
import type { EngineEvent, Observer, RunOutcome } from '../engine/observer.js'
import { jsonLine } from './json-line.js'
import type { PromptHost } from './prompt-host.js'

export interface JsonRendererOptions {
  /** Where the NDJSON goes; nothing else is ever written to it. */
  stream?: Writable
  /** Where a prompt is drawn, never stdout: that holds only JSON. */
  promptStream?: Writable
  /** Stamps transient events (progress, notices), which the journal never dated. */
  now?: () => Date
}

/** `--json`: every event, then `{ "type": "outcome", ... }`, one JSON object per line. */
export function createJsonRenderer(options: JsonRendererOptions = {}): Observer & PromptHost {
  const stream = options.stream ?? process.stdout
  const now = options.now ?? (() => new Date())
  const write = (value: object) =>
    new Promise<void>((resolve) => stream.write(`${jsonLine(value)}\n`, () => resolve()))
  return {
    start() {},
    event(event: EngineEvent) {
      void write('seq' in event ? event : { ...event, at: now().toISOString() })
    },
    async finish(outcome: RunOutcome) {
      // Resolves once the line is handed to the OS, so an exit right after cannot cut it off.
      await write({ type: 'outcome', ...outcome })
    },
    prompt: (_about, ask) => ask(options.promptStream ?? process.stderr),
  }
}
