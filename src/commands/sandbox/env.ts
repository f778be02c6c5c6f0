import { SwitchyardCommand } from '../../cli/base-command.js'
import { jsonFlag } from '../../cli/flags.js'
import { sandboxStateDirFlag } from '../../cli/run-flags.js'
import { exportLines, readSandboxRecord, UNSET_FOR_SANDBOX } from '../../cli/sandbox-session.js'

export default class SandboxEnv extends SwitchyardCommand {
  static override summary =
    'Print the environment that points switchyard (and the AWS CLI) at the running sandbox, with its SQL and LDAP passwords'
  static override examples = [
    'eval "$(<%= config.bin %> sandbox env)"',
    '<%= config.bin %> sandbox env --json',
  ]
  static override flags = { ...sandboxStateDirFlag, ...jsonFlag }

  async run(): Promise<void> {
    const { flags } = await this.parse(SandboxEnv)
    const { url, ldap, ldapCaFile } = readSandboxRecord(flags['state-dir'])
    const { demoEnv } = await import('../../sandbox/demo-platform.js')
    const env = demoEnv(url, ldap === true && ldapCaFile ? { caFile: ldapCaFile } : undefined)
    if (flags.json) return this.printJson({ set: env, unset: UNSET_FOR_SANDBOX })
    this.log(exportLines(env))
  }
}
