import { createHash } from 'node:crypto'
import type { Clock } from '../clock.js'
import type { Ec2World } from '../ec2/world.js'
import { uuid } from '../ids.js'
import { createPatchWorld } from './patching.js'

export type ParameterType = 'String' | 'StringList' | 'SecureString'

export interface StoredParameter {
  name: string
  type: ParameterType
  value: string
  version: number
  lastModified: number
}

/** What one instance's run of a command produced. */
export interface CommandResult {
  stdout: string
  stderr?: string
  exitCode: number
  /** How long the run takes; the invocation stays InProgress until then. */
  durationMs: number
}

/** Answers a command on one instance; `undefined` passes it to the responder registered before. */
export type CommandResponder = (
  instanceId: string,
  document: string,
  parameters: Record<string, string[]>,
) => CommandResult | undefined | Promise<CommandResult | undefined>

export interface Invocation {
  instanceId: string
  instanceName: string
  /** Set once the responder has answered (responders may be async). */
  result?: CommandResult
}

export interface SentCommand {
  id: string
  documentName: string
  parameters: Record<string, string[]>
  comment: string
  requestedAt: number
  timeoutSeconds: number
  executionTimeoutMs: number
  outputS3BucketName?: string
  outputS3KeyPrefix?: string
  invocations: Invocation[]
}

export type InvocationStatus = 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut'

export interface InvocationProgress {
  status: InvocationStatus
  statusDetails: string
  /** -1 until the run ends. */
  responseCode: number
  finishedAt?: number
}

const DEFAULT_RESULT: CommandResult = { stdout: '', exitCode: 0, durationMs: 0 }

export type SsmWorld = ReturnType<typeof createSsmWorld>

export function createSsmWorld(clock: Clock, ec2: Ec2World) {
  const parameters = new Map<string, StoredParameter>()
  const responders: CommandResponder[] = []
  const managedInstances = new Map<string, { name: string; tags: Record<string, string> }>()
  const commands: SentCommand[] = []

  async function answer(instanceId: string, command: SentCommand): Promise<CommandResult> {
    for (const responder of [...responders].reverse()) {
      try {
        const result = await responder(instanceId, command.documentName, command.parameters)
        if (result) return result
      } catch (error) {
        return {
          stdout: '',
          stderr: error instanceof Error ? error.message : String(error),
          exitCode: 1,
          durationMs: 0,
        }
      }
    }
    return DEFAULT_RESULT
  }

  const world = {
    /** How long after SendCommand an invocation is still unknown (real SSM: InvocationDoesNotExist). */
    invocationVisibleAfterMs: 0,

    putParameter(name: string, value: string, options: { type?: ParameterType } = {}): StoredParameter {
      const previous = parameters.get(name)
      const stored: StoredParameter = {
        name,
        type: options.type ?? previous?.type ?? 'String',
        value,
        version: (previous?.version ?? 0) + 1,
        lastModified: clock(),
      }
      parameters.set(name, stored)
      return stored
    },

    parameter(name: string): StoredParameter | undefined {
      return parameters.get(name)
    },

    /** Adds a responder consulted before those already registered; returns its removal. */
    respond(responder: CommandResponder): () => void {
      responders.push(responder)
      return () => {
        const at = responders.indexOf(responder)
        if (at >= 0) responders.splice(at, 1)
      }
    },

    /** Patch Manager's states of the instances, EC2 and managed alike. */
    patching: createPatchWorld(clock),

    /** An on-premises managed instance (`mi-...`) that SSM can run commands on without EC2. */
    addManagedInstance(id: string, name = id, tags: Record<string, string> = {}): void {
      managedInstances.set(id, { name, tags: { ...tags } })
    },

    managedInstances(): { id: string; name: string; tags: Record<string, string> }[] {
      return [...managedInstances].map(([id, m]) => ({ id, ...m }))
    },

    /** An instance SSM can reach: a managed instance, or a running EC2 instance. */
    reachable(instanceId: string): { name: string } | undefined {
      const managed = managedInstances.get(instanceId)
      if (managed !== undefined) return { name: managed.name }
      const instance = ec2.instance(instanceId)
      if (instance?.state !== 'running') return undefined
      return { name: instance.tags.Name ?? '' }
    },

    /** Records the command and asks the responders for each instance's result. */
    send(
      command: Omit<SentCommand, 'id' | 'requestedAt' | 'invocations'>,
      instances: Invocation[],
    ): SentCommand {
      const sent: SentCommand = { ...command, id: uuid(), requestedAt: clock(), invocations: instances }
      commands.push(sent)
      for (const invocation of instances)
        void answer(invocation.instanceId, sent).then((result) => {
          invocation.result = result
        })
      return sent
    },

    commands(): SentCommand[] {
      return [...commands]
    },

    command(id: string): SentCommand | undefined {
      return commands.find((c) => c.id === id)
    },

    /** Parameters (values as hashes: some are secrets), managed instances, and the commands sent. */
    snapshotState() {
      return {
        parameters: Object.fromEntries(
          [...parameters.values()].map(({ value, ...p }) => [
            p.name,
            { ...p, valueSha256: createHash('sha256').update(value).digest('hex') },
          ]),
        ),
        managedInstances: Object.fromEntries(managedInstances),
        patching: world.patching.snapshotState(),
        commands: commands.map((c) => ({
          id: c.id,
          documentName: c.documentName,
          instances: c.invocations.map((i) => i.instanceId),
        })),
      }
    },

    visible(command: SentCommand): boolean {
      return clock() - command.requestedAt >= world.invocationVisibleAfterMs
    },

    /** Where a run stands now: in progress until its duration (or the execution timeout) has passed. */
    progress(command: SentCommand, invocation: Invocation): InvocationProgress {
      const elapsed = clock() - command.requestedAt
      const result = invocation.result
      if (result && result.durationMs > command.executionTimeoutMs && elapsed >= command.executionTimeoutMs)
        return {
          status: 'TimedOut',
          statusDetails: 'Execution Timed Out',
          responseCode: -1,
          finishedAt: command.requestedAt + command.executionTimeoutMs,
        }
      if (!result || elapsed < result.durationMs)
        return { status: 'InProgress', statusDetails: 'InProgress', responseCode: -1 }
      const status = result.exitCode === 0 ? 'Success' : 'Failed'
      return {
        status,
        statusDetails: status,
        responseCode: result.exitCode,
        finishedAt: command.requestedAt + result.durationMs,
      }
    },
  }
  return world
}
