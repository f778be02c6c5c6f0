import { createHash } from 'node:crypto'
import type { Ec2World } from '../ec2/world.js'
import { jsonEndpoint } from '../json-endpoint.js'
import {
  type JsonInput,
  jsonBoolean,
  jsonInteger,
  jsonObject,
  jsonObjects,
  jsonString,
  jsonStrings,
  validationError,
} from '../json-params.js'
import { paginate } from '../paging.js'
import type { ServiceEndpoint } from '../service.js'
import { ServiceError } from '../service-error.js'
import { patchOperations } from './patch-endpoint.js'
import type { Invocation, SentCommand, SsmWorld, StoredParameter } from './world.js'

/** The run-script documents the CLI sends, and the one plugin each runs. */
const DOCUMENTS: Record<string, { plugin: string; parameters: string[] }> = {
  'AWS-RunPowerShellScript': {
    plugin: 'aws:runPowerShellScript',
    parameters: ['commands', 'workingDirectory', 'executionTimeout'],
  },
  'AWS-RunShellScript': {
    plugin: 'aws:runShellScript',
    parameters: ['commands', 'workingDirectory', 'executionTimeout'],
  },
}

const MAX_INSTANCE_IDS = 50
const MAX_TARGETS = 5
const STDOUT_LIMIT = 24_000
const STDERR_LIMIT = 8_000
const PLUGIN_OUTPUT_LIMIT = 2_500

const truncate = (text: string, limit: number): string => (text.length > limit ? text.slice(0, limit) : text)

/** ListCommandInvocations' per-plugin Output: stdout, then stderr after the agent's separator. */
function pluginOutput(stdout: string, stderr: string): string {
  const whole = stderr ? `${stdout}\n----------ERROR-------\n${stderr}` : stdout
  const marker = '\n---Output truncated---'
  return whole.length > PLUGIN_OUTPUT_LIMIT
    ? whole.slice(0, PLUGIN_OUTPUT_LIMIT - marker.length) + marker
    : whole
}

const elapsedText = (ms: number): string => `PT${(ms / 1000).toFixed(3)}S`

export function ssmEndpoint(
  world: SsmWorld,
  ec2: Ec2World,
  identity: () => { account: string; region: string },
): ServiceEndpoint {
  const parameterOutput = (stored: StoredParameter, decrypt: boolean) => {
    const { account, region } = identity()
    const secret = stored.type === 'SecureString' && !decrypt
    return {
      Name: stored.name,
      Type: stored.type,
      // Undecrypted, a SecureString comes back as ciphertext; a stand-in that never contains the value.
      Value: secret
        ? `AQICAH${createHash('sha256').update(`${stored.name}:${stored.version}`).digest('base64')}`
        : stored.value,
      Version: stored.version,
      LastModifiedDate: new Date(stored.lastModified),
      ARN: `arn:aws:ssm:${region}:${account}:parameter/${stored.name.replace(/^\//, '')}`,
      DataType: 'text',
    }
  }

  const commandOf = (id: string | undefined): SentCommand => {
    const command = id === undefined ? undefined : world.command(id)
    if (!command) throw new ServiceError(400, 'InvalidCommandId', `Command ${id ?? ''} does not exist`)
    return command
  }

  function targetInstances(input: JsonInput): string[] {
    const instanceIds = jsonStrings(input, 'InstanceIds')
    const targets = jsonObjects(input, 'Targets')
    if ((instanceIds === undefined) === (targets === undefined))
      throw new ServiceError(400, 'InvalidParameters', 'Specify either InstanceIds or Targets, but not both')
    if (instanceIds !== undefined) {
      if (instanceIds.length > MAX_INSTANCE_IDS)
        throw validationError(
          'instanceIds',
          `[${instanceIds.join(', ')}]`,
          `Member must have length less than or equal to ${MAX_INSTANCE_IDS}`,
        )
      return instanceIds
    }
    const list = targets ?? []
    if (list.length > MAX_TARGETS)
      throw validationError('targets', list, `Member must have length less than or equal to ${MAX_TARGETS}`)
    const matchers = list.map((target) => ({
      key: jsonString(target, 'Key') ?? '',
      values: jsonStrings(target, 'Values') ?? [],
    }))
    return ec2
      .instances()
      .filter((instance) =>
        matchers.every(({ key, values }) => {
          if (key === 'InstanceIds') return values.includes(instance.id)
          if (key.startsWith('tag:')) return values.includes(instance.tags[key.slice(4)] ?? '\u0000')
          if (key === 'tag-key') return values.some((v) => v in instance.tags)
          throw new ServiceError(400, 'InvalidTarget', `Target key ${key} is not emulated by the sandbox`)
        }),
      )
      .map((instance) => instance.id)
  }

  function readParameters(input: JsonInput, document: string): Record<string, string[]> {
    const raw = jsonObject(input, 'Parameters') ?? {}
    const allowed = DOCUMENTS[document]?.parameters ?? []
    const parameters: Record<string, string[]> = {}
    for (const [name, value] of Object.entries(raw)) {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
        throw new ServiceError(
          400,
          'SerializationException',
          `Parameters.${name}: expected a list of strings`,
        )
      if (!allowed.includes(name))
        throw new ServiceError(
          400,
          'InvalidParameters',
          `Parameter "${name}" is not a valid parameter for document ${document}`,
        )
      parameters[name] = value as string[]
    }
    if (!parameters.commands)
      throw new ServiceError(
        400,
        'InvalidParameters',
        `Parameters [commands] are required by document ${document}`,
      )
    return parameters
  }

  function invocationOutput(command: SentCommand, invocation: Invocation, details: boolean) {
    const progress = world.progress(command, invocation)
    const done = progress.finishedAt !== undefined
    const stdout = done ? (invocation.result?.stdout ?? '') : ''
    const stderr = done ? (invocation.result?.stderr ?? '') : ''
    const plugin = DOCUMENTS[command.documentName]?.plugin ?? command.documentName
    return {
      CommandId: command.id,
      InstanceId: invocation.instanceId,
      InstanceName: invocation.instanceName,
      Comment: command.comment,
      DocumentName: command.documentName,
      DocumentVersion: '$DEFAULT',
      RequestedDateTime: new Date(command.requestedAt),
      Status: progress.status,
      StatusDetails: progress.statusDetails,
      TraceOutput: '',
      StandardOutputUrl: '',
      StandardErrorUrl: '',
      CommandPlugins: details
        ? [
            {
              Name: plugin,
              Status: progress.status,
              StatusDetails: progress.statusDetails,
              ResponseCode: progress.responseCode,
              ResponseStartDateTime: new Date(command.requestedAt),
              ResponseFinishDateTime: done ? new Date(progress.finishedAt ?? command.requestedAt) : undefined,
              Output: pluginOutput(stdout, stderr),
              StandardOutputUrl: '',
              StandardErrorUrl: '',
              OutputS3Region: command.outputS3BucketName ? identity().region : undefined,
              OutputS3BucketName: command.outputS3BucketName,
              OutputS3KeyPrefix: command.outputS3KeyPrefix,
            },
          ]
        : [],
      ServiceRole: '',
    }
  }

  const operations = {
    ...patchOperations(world, ec2),

    GetParameter(input: JsonInput) {
      const name = jsonString(input, 'Name')
      if (!name) throw validationError('name', null, 'Member must not be null')
      const stored = world.parameter(name)
      if (!stored) throw new ServiceError(400, 'ParameterNotFound', `Parameter ${name} not found.`)
      return { Parameter: parameterOutput(stored, jsonBoolean(input, 'WithDecryption') ?? false) }
    },

    GetParameters(input: JsonInput) {
      const names = jsonStrings(input, 'Names') ?? []
      if (names.length < 1 || names.length > 10)
        throw validationError('names', names, 'Member must have length between 1 and 10')
      const decrypt = jsonBoolean(input, 'WithDecryption') ?? false
      const found = names.map((name) => world.parameter(name)).filter((p) => p !== undefined)
      return {
        Parameters: found.map((stored) => parameterOutput(stored, decrypt)),
        InvalidParameters: names.filter((name) => !world.parameter(name)),
      }
    },

    SendCommand(input: JsonInput) {
      const documentName = jsonString(input, 'DocumentName')
      if (!documentName) throw validationError('documentName', null, 'Member must not be null')
      const instanceIds = targetInstances(input)
      const comment = jsonString(input, 'Comment') ?? ''
      if (comment.length > 100)
        throw validationError('comment', comment, 'Member must have length less than or equal to 100')
      const timeoutSeconds = jsonInteger(input, 'TimeoutSeconds') ?? 3600
      if (timeoutSeconds < 30 || timeoutSeconds > 2_592_000)
        throw validationError(
          'timeoutSeconds',
          timeoutSeconds,
          'Member must have value between 30 and 2592000',
        )
      for (const name of ['MaxConcurrency', 'MaxErrors']) {
        const value = jsonString(input, name)
        if (value !== undefined && !/^([1-9][0-9]*|[1-9][0-9]?%|100%|0%?)$/.test(value))
          throw validationError(
            name.charAt(0).toLowerCase() + name.slice(1),
            value,
            'Member must be a number or a percentage',
          )
      }
      if (!DOCUMENTS[documentName])
        throw new ServiceError(
          400,
          'InvalidDocument',
          `Document ${documentName} does not exist (the sandbox emulates ${Object.keys(DOCUMENTS).join(', ')})`,
        )
      const parameters = readParameters(input, documentName)
      const executionTimeout = Number(parameters.executionTimeout?.[0] ?? '3600')
      if (!Number.isInteger(executionTimeout) || executionTimeout < 1)
        throw new ServiceError(
          400,
          'InvalidParameters',
          `executionTimeout must be a whole number of seconds, not '${parameters.executionTimeout?.[0]}'`,
        )
      const unreachable = instanceIds.filter((id) => !world.reachable(id))
      if (unreachable.length > 0)
        throw new ServiceError(
          400,
          'InvalidInstanceId',
          `Instances [[${unreachable.join(', ')}]] not in a valid state for account ${identity().account}`,
        )
      const bucket = jsonString(input, 'OutputS3BucketName')
      const prefix = jsonString(input, 'OutputS3KeyPrefix')
      const sent = world.send(
        {
          documentName,
          parameters,
          comment,
          timeoutSeconds,
          executionTimeoutMs: executionTimeout * 1000,
          ...(bucket !== undefined ? { outputS3BucketName: bucket } : {}),
          ...(prefix !== undefined ? { outputS3KeyPrefix: prefix } : {}),
        },
        instanceIds.map((instanceId) => ({
          instanceId,
          instanceName: world.reachable(instanceId)?.name ?? '',
        })),
      )
      return {
        Command: {
          CommandId: sent.id,
          DocumentName: documentName,
          DocumentVersion: '$DEFAULT',
          Comment: comment,
          ExpiresAfter: new Date(sent.requestedAt + timeoutSeconds * 1000),
          Parameters: parameters,
          InstanceIds: jsonStrings(input, 'InstanceIds') ?? [],
          Targets: jsonObjects(input, 'Targets') ?? [],
          RequestedDateTime: new Date(sent.requestedAt),
          Status: 'Pending',
          StatusDetails: 'Pending',
          OutputS3BucketName: bucket ?? '',
          OutputS3KeyPrefix: prefix ?? '',
          MaxConcurrency: jsonString(input, 'MaxConcurrency') ?? '50',
          MaxErrors: jsonString(input, 'MaxErrors') ?? '0',
          TargetCount: instanceIds.length,
          CompletedCount: 0,
          ErrorCount: 0,
          DeliveryTimedOutCount: 0,
          TimeoutSeconds: timeoutSeconds,
        },
      }
    },

    ListCommandInvocations(input: JsonInput) {
      const commandId = jsonString(input, 'CommandId')
      const instanceId = jsonString(input, 'InstanceId')
      const details = jsonBoolean(input, 'Details') ?? false
      const maxResults = jsonInteger(input, 'MaxResults') ?? 50
      if (maxResults < 1 || maxResults > 50)
        throw validationError('maxResults', maxResults, 'Member must have value between 1 and 50')
      if (jsonObjects(input, 'Filters')?.length)
        throw new ServiceError(
          400,
          'InvalidFilterKey',
          'The sandbox does not emulate ListCommandInvocations filters',
        )
      const commands = commandId !== undefined ? [commandOf(commandId)] : world.commands().reverse()
      const all = commands
        .filter((command) => world.visible(command))
        .flatMap((command) => command.invocations.map((invocation) => ({ command, invocation })))
        .filter(({ invocation }) => instanceId === undefined || invocation.instanceId === instanceId)
      const { items, nextToken } = paginate(all, {
        pageSize: maxResults,
        token: jsonString(input, 'NextToken'),
        query: JSON.stringify({ commandId, instanceId }),
        invalidToken: () => new ServiceError(400, 'InvalidNextToken', 'The specified token is not valid.'),
      })
      return {
        CommandInvocations: items.map(({ command, invocation }) =>
          invocationOutput(command, invocation, details),
        ),
        NextToken: nextToken,
      }
    },

    GetCommandInvocation(input: JsonInput) {
      const commandId = jsonString(input, 'CommandId')
      const instanceId = jsonString(input, 'InstanceId')
      if (!commandId) throw validationError('commandId', null, 'Member must not be null')
      if (!instanceId) throw validationError('instanceId', null, 'Member must not be null')
      const command = commandOf(commandId)
      const invocation = command.invocations.find((i) => i.instanceId === instanceId)
      if (!invocation || !world.visible(command))
        throw new ServiceError(
          400,
          'InvocationDoesNotExist',
          `No invocation of command ${commandId} on ${instanceId} (yet)`,
        )
      const plugin = DOCUMENTS[command.documentName]?.plugin ?? command.documentName
      const pluginName = jsonString(input, 'PluginName')
      if (pluginName !== undefined && pluginName !== plugin)
        throw new ServiceError(
          400,
          'InvalidPluginName',
          `Plugin ${pluginName} is not part of document ${command.documentName}`,
        )
      const progress = world.progress(command, invocation)
      const done = progress.finishedAt !== undefined
      const finishedAt = progress.finishedAt ?? command.requestedAt
      return {
        CommandId: command.id,
        InstanceId: instanceId,
        Comment: command.comment,
        DocumentName: command.documentName,
        DocumentVersion: '$DEFAULT',
        PluginName: plugin,
        ResponseCode: progress.responseCode,
        // GetCommandInvocation's dates are strings, unlike the epoch numbers elsewhere in SSM.
        ExecutionStartDateTime: new Date(command.requestedAt).toISOString(),
        ExecutionElapsedTime: done ? elapsedText(finishedAt - command.requestedAt) : '',
        ExecutionEndDateTime: done ? new Date(finishedAt).toISOString() : '',
        Status: progress.status,
        StatusDetails: progress.statusDetails,
        StandardOutputContent: done ? truncate(invocation.result?.stdout ?? '', STDOUT_LIMIT) : '',
        StandardOutputUrl: '',
        StandardErrorContent: done ? truncate(invocation.result?.stderr ?? '', STDERR_LIMIT) : '',
        StandardErrorUrl: '',
      }
    },
  }

  return {
    name: 'ssm',
    protocol: 'awsJson1_1',
    signingName: 'ssm',
    throttle: { status: 400, code: 'ThrottlingException', message: 'Rate exceeded' },
    ...jsonEndpoint('AmazonSSM', operations),
  }
}
