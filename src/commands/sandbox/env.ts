import { SwitchyardCommand } from '../../cli/base-command.js'
import { stateDirFlag } from '../../cli/run-flags.js'
import { exportLines, readSandboxRecord } from '../../cli/sandbox-session.js'

export default class SandboxEnv extends SwitchyardCommand {
  static override summary =
    'Print the environment that points switchyard (and the AWS CLI) at the running sandbox'
  static override examples = ['eval "$(<%= config.bin %> sandbox env)"']
  static override flags = { ...stateDirFlag }

  async run(): Promise<void> {
    const { flags } = await this.parse(SandboxEnv)
    const { url } = readSandboxRecord(flags['state-dir'])
    const { sandboxEnv } = await import('../../sandbox/aws/index.js')
    this.log(exportLines(sandboxEnv(url)))
  }
}
