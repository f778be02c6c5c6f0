import { existsSync } from 'node:fs'
import { Args, Flags } from '@oclif/core'
import { SwitchyardCommand } from '../cli/base-command.js'
import { stateDirFlag } from '../cli/run-flags.js'
import { ExitCode, SwitchyardError } from '../errors.js'

export default class Unlock extends SwitchyardCommand {
  static override summary = "Break a runbook's lock, after making sure no one is running it"
  static override description =
    'A lock names who holds it (operator, host, pid, run, since). A lock whose process is gone on ' +
    'this host is stale. Breaking a lock is journaled in the locked run with your name.'
  static override examples = [
    '<%= config.bin %> unlock giftcard-rehearsal',
    '<%= config.bin %> unlock giftcard-rehearsal --force',
  ]
  static override args = {
    runbook: Args.string({ required: true, description: 'The runbook name (its name: field)' }),
  }
  static override flags = {
    force: Flags.boolean({ description: 'Break the lock', default: false }),
    ...stateDirFlag,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Unlock)
    const stateDir = flags['state-dir']
    const [{ breakLock, isStale, readLock }, { currentOperator }, { Journal }, { runDir }] =
      await Promise.all([
        import('../engine/lock.js'),
        import('../engine/engine.js'),
        import('../engine/journal.js'),
        import('../engine/state-dir.js'),
      ])
    const holder = readLock(stateDir, args.runbook)
    if (!holder) return this.log(`${args.runbook} is not locked`)
    const stale = isStale(holder)
    const who = `${holder.operator} on ${holder.host} (pid ${holder.pid}, run ${holder.runId}, since ${holder.since})`
    if (!flags.force)
      throw new SwitchyardError(
        `${args.runbook} is locked by ${who}${stale ? '; that process is gone: the lock is stale' : ''}`,
        {
          exitCode: ExitCode.refused,
          hint: `${stale ? '' : 'make sure that run has stopped, then '}break it with: switchyard unlock ${args.runbook} --force`,
        },
      )
    breakLock(stateDir, args.runbook)
    const me = currentOperator()
    const dir = runDir(stateDir, holder.runId)
    if (existsSync(dir)) {
      const { journal } = Journal.open(dir)
      await journal.append({ type: 'lock-broken', by: `${me.operator}@${me.host}`, holder }).durable
      await journal.close()
    }
    this.log(`lock on ${args.runbook} broken (it was held by ${who})`)
  }
}
