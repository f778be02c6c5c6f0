import { jsonEndpoint } from '../json-endpoint.js'
import { type JsonInput, jsonInteger, jsonString, jsonStrings, validationError } from '../json-params.js'
import { paginate } from '../paging.js'
import type { ServiceEndpoint } from '../service.js'
import { ServiceError } from '../service-error.js'
import type { CloudWatchWorld, MetricAlarm } from './world.js'

const STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA']

export function cloudWatchEndpoint(
  world: CloudWatchWorld,
  identity: () => { account: string; region: string },
): ServiceEndpoint {
  const alarmOutput = (alarm: MetricAlarm) => {
    const { account, region } = identity()
    return {
      AlarmName: alarm.name,
      AlarmArn: `arn:aws:cloudwatch:${region}:${account}:alarm:${alarm.name}`,
      AlarmDescription: alarm.description,
      ActionsEnabled: true,
      OKActions: [],
      AlarmActions: [],
      InsufficientDataActions: [],
      StateValue: alarm.state,
      StateReason: alarm.reason,
      StateUpdatedTimestamp: new Date(alarm.updatedAt),
      StateTransitionedTimestamp: new Date(alarm.updatedAt),
      MetricName: alarm.metricName,
      Namespace: alarm.namespace,
      Statistic: alarm.statistic,
      Dimensions: alarm.dimensions,
      Period: alarm.period,
      EvaluationPeriods: alarm.evaluationPeriods,
      Threshold: alarm.threshold,
      ComparisonOperator: alarm.comparisonOperator,
    }
  }

  const operations = {
    DescribeAlarms(input: JsonInput) {
      const names = jsonStrings(input, 'AlarmNames')
      const prefix = jsonString(input, 'AlarmNamePrefix')
      const types = jsonStrings(input, 'AlarmTypes')
      const state = jsonString(input, 'StateValue')
      const maxRecords = jsonInteger(input, 'MaxRecords') ?? 50
      if (names && prefix !== undefined)
        throw new ServiceError(
          400,
          'InvalidParameterCombination',
          'AlarmNamePrefix and AlarmNames cannot be specified together',
        )
      if (names && names.length > 100)
        throw validationError('alarmNames', names, 'Member must have length less than or equal to 100')
      if (maxRecords < 1 || maxRecords > 100)
        throw validationError('maxRecords', maxRecords, 'Member must have value between 1 and 100')
      if (state !== undefined && !STATES.includes(state))
        throw validationError(
          'stateValue',
          state,
          `Member must satisfy enum value set: [${STATES.join(', ')}]`,
        )
      // Without AlarmTypes only metric alarms are described; the sandbox has no composite alarms.
      const metric = types === undefined || types.includes('MetricAlarm')
      const matching = world
        .alarms()
        .filter((alarm) => metric && (!names || names.includes(alarm.name)))
        .filter((alarm) => prefix === undefined || alarm.name.startsWith(prefix))
        .filter((alarm) => state === undefined || alarm.state === state)
      const { items, nextToken } = paginate(matching, {
        pageSize: maxRecords,
        token: jsonString(input, 'NextToken'),
        query: JSON.stringify({ names, prefix, types, state }),
        invalidToken: () =>
          new ServiceError(400, 'InvalidNextToken', 'The service found the next token was not valid.'),
      })
      return {
        MetricAlarms: items.map(alarmOutput),
        CompositeAlarms: [],
        NextToken: nextToken,
      }
    },
  }

  return {
    name: 'cloudwatch',
    protocol: 'awsJson1_0',
    signingName: 'monitoring',
    throttle: { status: 400, code: 'Throttling', message: 'Rate exceeded' },
    ...jsonEndpoint('GraniteServiceVersion20100801', operations),
  }
}
