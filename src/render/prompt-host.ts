import type { Writable } from 'node:stream'

/** What an approval prompt is about, as the engine's ApprovalQuestion names it. */
export interface PromptSubject {
  kind: 'phase' | 'step'
  id: string
}

/**
 * Where a renderer lets an operator be asked something. A renderer that owns the screen (listr2
 * takes over stdout while it draws) must draw the question itself, or the prompt is never seen;
 * `ask` writes its question to the stream it is given (inquirer's `output` context option).
 */
export interface PromptHost {
  prompt<T>(about: PromptSubject, ask: (output: Writable) => Promise<T>): Promise<T>
}
