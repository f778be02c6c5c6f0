import { Flags } from '@oclif/core'
import { SwitchyardCommand } from '../../cli/base-command.js'
import { stateDirFlag } from '../../cli/run-flags.js'
import { exportLines, startDemoSandbox, writeSandboxRecord } from '../../cli/sandbox-session.js'

export default class SandboxUp extends SwitchyardCommand {
  static override summary =
    'Run the local AWS stand-in (Route 53, EC2, SSM, CloudWatch, SNS, STS) in the foreground'
  static override description =
    'It listens on 127.0.0.1 and holds the demo gift-card world: a weighted record moving from ' +
    'on-prem to AWS, the alarm that gates it, the AWS web servers. Point the CLI at it from another ' +
    'terminal with `eval "$(switchyard sandbox env)"`. Nothing leaves this machine. Ctrl-C stops it.'
  static override examples = ['<%= config.bin %> sandbox up', '<%= config.bin %> sandbox up --port 4566']
  static override flags = {
    port: Flags.integer({
      description: 'Port on 127.0.0.1 (default: any free port)',
      default: 0,
      min: 0,
      max: 65535,
    }),
    ...stateDirFlag,
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(SandboxUp)
    const { sandbox, env, zone } = await startDemoSandbox(flags.port)
    const forget = writeSandboxRecord(flags['state-dir'], {
      url: sandbox.url,
      pid: process.pid,
      since: new Date().toISOString(),
    })
    this.log(`AWS sandbox listening on ${sandbox.url} (demo zone ${zone})`)
    this.log('point switchyard at it in another terminal:')
    this.log(`  eval "$(switchyard sandbox env)"\n\n${exportLines(env)}\n`)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    forget()
    await sandbox.close()
    this.log(`sandbox stopped after ${sandbox.log.calls.length} AWS calls`)
  }
}
