import type { StepDefinition } from '../steps/contract.js'
import type { Diagnostics } from './diagnostics.js'
import { hasExpression, parseTemplate } from './expressions.js'
import { fileOffset } from './references.js'
import type { RunbookDocument } from './schema.js'
import { shellContexts } from './shell-template.js'
import type { YamlValue } from './yaml-source.js'
import { valueAt } from './zod-issues.js'

/**
 * Every `${{ }}` inside a command that runs through /bin/sh: a warning (its value is quoted for the
 * shell, yet env: is plainer), or an error inside a here-document, where no quoting holds.
 */
export function checkShellCommands(
  runbook: RunbookDocument,
  doc: YamlValue,
  stepTypes: ReadonlyMap<string, StepDefinition>,
  diags: Diagnostics,
): void {
  runbook.phases.forEach((phase, p) => {
    phase.steps.forEach((step, s) => {
      const definition = typeof step.uses === 'string' ? stepTypes.get(step.uses) : undefined
      const written = step.with ?? {}
      for (const key of definition?.shellCommands?.(written) ?? []) {
        const text = valueAt(written, key)
        if (typeof text !== 'string' || !hasExpression(text)) continue
        const place = { doc, path: ['phases', p, 'steps', s, 'with', ...key], text }
        let parts: ReturnType<typeof parseTemplate>
        try {
          parts = parseTemplate(text)
        } catch {
          continue // reported by the expression checks
        }
        const contexts = shellContexts(parts)
        parts
          .flatMap((part) => ('expr' in part ? [part] : []))
          .forEach((part, i) => {
            const at = fileOffset(place, part.offset - 3)
            const shown = `\${{ ${part.source} }}`
            if (contexts[i] === 'heredoc')
              diags.error(
                doc.source,
                at,
                `${shown} is inside a here-document in a shell command, where a value cannot be quoted`,
                `pass it in env: and write "$NAME" in the command`,
              )
            else
              diags.warning(
                doc.source,
                at,
                `${shown} is interpolated into a shell command: its value is quoted for /bin/sh and arrives as data`,
                `plainer: env: { NAME: "${shown}" } and "$NAME" in the command`,
              )
          })
      }
    })
  })
}
