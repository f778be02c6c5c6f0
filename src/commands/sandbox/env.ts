import { SwitchyardCommand } from '../../cli/base-command.js'
import { sandboxStateDirFlag } from '../../cli/run-flags.js'
import { exportLines, readSandboxRecord } from '../../cli/sandbox-session.js'

export default class SandboxEnv extends SwitchyardCommand {
  static override summary =
    'Print the environment that points switchyard (and the AWS CLI) at the running sandbox, with its SQL and LDAP passwords'
  static override examples = ['eval "$(<%= config.bin %> sandbox env)"']
  static override flags = { ...sandboxStateDirFlag }

  async run(): Promise<void> {
    const { flags } = await this.parse(SandboxEnv)
    const { url, ldap } = readSandboxRecord(flags['state-dir'])
    const { demoEnv } = await import('../../sandbox/demo-platform.js')
    this.log(exportLines(demoEnv(url, ldap === true)))
  }
}
