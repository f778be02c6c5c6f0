import { hostname } from 'node:os'
import { Args, Flags } from '@oclif/core'
import { SwitchyardCommand } from '../cli/base-command.js'
import { jsonFlag } from '../cli/flags.js'
import { stateDirFlag } from '../cli/run-flags.js'
import { ExitCode, InvalidInputError, SwitchyardError } from '../errors.js'
import { invocation } from '../invocation.js'
import { DURATION_PATTERN, parseDuration } from '../runbook/duration.js'

export default class Unlock extends SwitchyardCommand {
  static override summary = "Break a runbook's lock, after making sure no one is running it"
  static override description =
    'A lock names who holds it (operator, host, pid, what it is doing, since). A holder alive on ' +
    'this host is never broken from under it: stop it first, or add --kill. A holder on another ' +
    'host cannot be checked: you confirm it has stopped (on a terminal, or --yes). Breaking a lock ' +
    'fences its holder (it writes nothing more to the journal) and is journaled in the run with your name.'
  static override examples = [
    '<%= config.bin %> unlock giftcard-rehearsal',
    '<%= config.bin %> unlock giftcard-rehearsal --force',
    '<%= config.bin %> unlock giftcard-rehearsal --force --kill --grace 1m',
  ]
  static override args = {
    runbook: Args.string({ required: true, description: 'The runbook name (its name: field)' }),
  }
  static override flags = {
    force: Flags.boolean({ description: 'Break the lock', default: false }),
    kill: Flags.boolean({
      description: 'Stop a holder alive on this host first: SIGTERM, then SIGKILL after --grace',
      default: false,
      dependsOn: ['force'],
    }),
    grace: Flags.string({
      description: 'With --kill: how long the holder may take to pause before SIGKILL',
      default: '30s',
      helpValue: 'DURATION',
    }),
    yes: Flags.boolean({
      char: 'y',
      description: 'Confirm that a holder on another host has stopped (without a terminal to ask on)',
      default: false,
    }),
    ...stateDirFlag,
    ...jsonFlag,
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Unlock)
    if (!DURATION_PATTERN.test(flags.grace))
      throw new InvalidInputError(`--grace ${flags.grace}: not a duration`, { hint: 'e.g. 30s, 2m' })
    const stateDir = flags['state-dir']
    const [{ describeHolder, isStale, readLock }, lockBreak, { currentOperator }] = await Promise.all([
      import('../engine/lock.js'),
      import('../engine/break-lock.js'),
      import('../engine/engine.js'),
    ])
    const holder = readLock(stateDir, args.runbook)
    if (!holder)
      return flags.json
        ? this.printJson({ runbook: args.runbook, locked: false })
        : this.log(`${args.runbook} is not locked`)
    const who = describeHolder(holder)
    const stale = isStale(holder)
    const local = holder.host === hostname()
    // A live holder here is named with what it is doing, with or without --force.
    if (local && !stale && !flags.kill)
      throw new lockBreak.HolderAliveError(holder, lockBreak.holderActivity(stateDir, holder))
    if (!flags.force)
      throw new SwitchyardError(
        `${args.runbook} is locked by ${who}${stale ? '; that process is gone: the lock is stale' : ''}`,
        {
          exitCode: ExitCode.refused,
          hint: `${stale ? '' : 'make sure that run has stopped, then '}break it with: ${invocation()} unlock ${args.runbook} --force`,
        },
      )
    let stopped: 'SIGTERM' | 'SIGKILL' | undefined
    if (local) {
      if (!stale)
        stopped = await lockBreak.stopProcess(holder.pid, parseDuration(flags.grace), (line) =>
          // Under --json, stdout is the result alone: progress goes to stderr.
          flags.json ? process.stderr.write(`${line}\n`) : this.log(line),
        )
    } else {
      if (flags.kill)
        throw new InvalidInputError(`--kill: the holder runs on ${holder.host}, not on this host`, {
          hint: `stop it there (Ctrl-C, or kill ${holder.pid} on ${holder.host}), then: ${invocation()} unlock ${args.runbook} --force`,
        })
      // Under --json nothing is asked: a prompt would write into the JSON.
      if (!flags.yes && (flags.json || !(await this.confirmGone(holder.host, holder.pid, who))))
        throw new SwitchyardError(`the lock on ${args.runbook} is left as it is: ${who}`, {
          exitCode: ExitCode.refused,
          hint:
            `switchyard cannot tell from here whether pid ${holder.pid} on ${holder.host} still runs; ` +
            `once you have made sure it has stopped, confirm with: ${invocation()} unlock ${args.runbook} --force --yes`,
        })
    }
    const result = await lockBreak.breakLock(stateDir, holder, currentOperator(), stopped)
    if (flags.json)
      return this.printJson({
        runbook: args.runbook,
        broken: true,
        heldBy: holder,
        ...(stopped ? { stoppedWith: stopped } : {}),
        ...(result.takenBy ? { takenSinceBy: result.takenBy } : {}),
      })
    const how = stopped ? `stopped with ${stopped}; ` : ''
    this.log(`lock on ${args.runbook} broken (${how}it was held by ${who})`)
    if (result.takenBy)
      this.log(`${describeHolder(result.takenBy)} took the lock since; the break is not journaled in the run`)
  }

  /** Asks on a terminal; without one, nothing is confirmed. */
  private async confirmGone(host: string, pid: number, who: string): Promise<boolean> {
    if (!process.stdin.isTTY || !process.stdout.isTTY) return false
    const { confirm } = await import('@inquirer/prompts')
    return confirm({
      message: `The lock is held by ${who}. switchyard cannot tell from here whether pid ${pid} on ${host} still runs. Has it stopped? Break the lock`,
      default: false,
    })
  }
}
