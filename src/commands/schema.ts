import { writeFileSync } from 'node:fs'
import { Flags } from '@oclif/core'
import { SwitchyardCommand } from '../cli/base-command.js'
import { jsonFlag } from '../cli/flags.js'

export default class Schema extends SwitchyardCommand {
  static override summary = 'Print the JSON Schema of the runbook format'
  static override description =
    'The schema covers the whole runbook and the `with` of every step type, so an editor with ' +
    'yaml-language-server completes and checks runbooks as you type. Start a runbook with:\n' +
    '  # yaml-language-server: $schema=../schema/runbook.schema.json'
  static override examples = [
    '<%= config.bin %> schema > runbook.schema.json',
    '<%= config.bin %> schema --out schema/runbook.schema.json',
  ]
  static override flags = {
    out: Flags.string({
      char: 'o',
      description: 'Write the schema to this file instead of stdout',
      helpValue: 'FILE',
    }),
    // The schema is JSON already; with --out, --json reports where it went.
    ...jsonFlag,
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Schema)
    const [{ runbookJsonSchema }, { stepTypes }] = await Promise.all([
      import('../runbook/json-schema.js'),
      import('../steps/index.js'),
    ])
    const text = `${JSON.stringify(runbookJsonSchema(stepTypes), null, 2)}\n`
    if (!flags.out) return void process.stdout.write(text)
    writeFileSync(flags.out, text)
    if (flags.json) this.printJson({ out: flags.out, bytes: Buffer.byteLength(text) })
  }
}
