import { Flags } from '@oclif/core'
import { SwitchyardCommand } from '../../cli/base-command.js'
import { sandboxStateDirFlag } from '../../cli/run-flags.js'
import { exportLines, startDemoSandbox, writeSandboxRecord } from '../../cli/sandbox-session.js'
import { makeStateFolder } from '../../engine/state-folder.js'
import { invocation } from '../../invocation.js'

export default class SandboxUp extends SwitchyardCommand {
  static override summary =
    'Run the local gift-card platform (AWS stand-in, SQL Server, IIS, domain controllers) in the foreground'
  static override description =
    'It holds the demo gift-card world: on a free port, Route 53, EC2, SSM, CloudWatch, SNS and STS ' +
    '(a weighted record moving from on-prem to AWS, the alarm that gates it, the AWS web servers and ' +
    'DCs); on fixed ports of 127.0.0.1, SQL Server SQL-ONPREM-1/2 and SQL-AWS-1 (14331-14333), the web ' +
    "servers' /health (127.0.1.11 and 127.0.1.12, port 18080) and, when slapd is installed, the on-prem " +
    'and AWS directories (13890, 13891). Point the CLI at it from another terminal with ' +
    '`eval "$(switchyard sandbox env)"`. Nothing leaves this machine. Ctrl-C stops it.'
  static override examples = ['<%= config.bin %> sandbox up', '<%= config.bin %> sandbox up --port 4566']
  static override flags = {
    port: Flags.integer({
      description: 'Port of the AWS stand-in on 127.0.0.1 (default: any free port)',
      default: 0,
      min: 0,
      max: 65535,
    }),
    ...sandboxStateDirFlag,
    json: Flags.boolean({
      description: 'Print a JSON line when it has started (addresses, environment) and one when it stops',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(SandboxUp)
    // A state folder that cannot be used is refused before anything starts, so nothing is left running.
    makeStateFolder(flags['state-dir'])
    const { platform, sandbox, env } = await startDemoSandbox(flags.port)
    const { describePlatform, DEMO_ENV } = await import('../../sandbox/demo-platform.js')
    const forget = writeSandboxRecord(flags['state-dir'], {
      url: sandbox.url,
      pid: process.pid,
      since: new Date().toISOString(),
      ldap: platform.ldap !== undefined,
      ...(env[DEMO_ENV.ldapCaFile] ? { ldapCaFile: env[DEMO_ENV.ldapCaFile] } : {}),
    })
    if (flags.json)
      jsonLine({
        type: 'sandbox-started',
        pid: process.pid,
        ...platform.addresses,
        ...(platform.ldapSkipped ? { ldapSkipped: platform.ldapSkipped } : {}),
        env,
      })
    else {
      this.log('sandbox started:')
      for (const line of describePlatform(platform)) this.log(`  ${line}`)
      this.log('point switchyard at it in another terminal:')
      this.log(`  eval "$(${invocation()} sandbox env)"\n\n${exportLines(env)}\n`)
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    forget()
    await platform.close()
    if (flags.json) jsonLine({ type: 'sandbox-stopped', awsCalls: sandbox.log.calls.length })
    else this.log(`sandbox stopped after ${sandbox.log.calls.length} AWS calls`)
  }
}

/** One event a line, as `run --json` prints them: the first says where everything listens. */
const jsonLine = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`)
