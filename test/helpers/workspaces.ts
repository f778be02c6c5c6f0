import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after } from 'node:test'
import { tempDir, writeRunbook } from './cli.ts'

/** Fresh folders holding runbook.yaml, under one scratch folder removed after the file's tests. */
export function useWorkspaces(prefix: string): (runbook: string) => string {
  const scratch = tempDir(prefix)
  after(scratch.cleanup)
  let count = 0
  return (runbook) => {
    const dir = join(scratch.dir, `w${++count}`)
    mkdirSync(dir, { recursive: true })
    writeRunbook(dir, runbook)
    return dir
  }
}

/** An exec step that appends its id to applied.log, and whose rollback appends it to undone.log. */
export const undoableStep = (id: string, needs?: string) => `      - id: ${id}
        uses: exec
${needs ? `        needs: ${needs}\n` : ''}        with:
          command: sh
          args: [-c, 'echo ${id} >> applied.log']
          rollback: { command: sh, args: [-c, 'echo ${id} >> undone.log'] }
`
