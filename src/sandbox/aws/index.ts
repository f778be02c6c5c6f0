export type { AutoScalingGroup, AutoScalingWorld } from './autoscaling/world.js'
export type { Clock } from './clock.js'
export type { AlarmSpec, AlarmState, CloudWatchWorld, MetricAlarm } from './cloudwatch/world.js'
export type {
  Ec2World,
  Instance,
  InstanceSpec,
  InstanceStateName,
  Snapshot,
  StatusValue,
} from './ec2/world.js'
export type { Elbv2World, TargetGroup, TargetHealthState } from './elbv2/world.js'
export type { Fault, FaultKind, FaultQueue, FaultSpec } from './faults.js'
export type { LoggedCall, RequestLog } from './request-log.js'
export type { ResourceRecordSet } from './route53/records.js'
export type { AppliedBatch, HostedZone, RecordInput, Route53World } from './route53/world.js'
export { type AwsSandbox, type AwsSandboxOptions, MAX_BODY_BYTES, startAwsSandbox } from './server.js'
export type { ServiceName } from './service.js'
export type { PublishedMessage, SnsWorld } from './sns/world.js'
export type { Patch, PatchState } from './ssm/patching.js'
export type { CommandResponder, CommandResult, ParameterType, SsmWorld } from './ssm/world.js'
export type { CallerIdentity, StsWorld } from './sts/world.js'
export type { AwsWorld } from './world.js'

/**
 * The environment that points every SDK client at the sandbox: the endpoint, a region if none is
 * set, and dummy keys (so the default credential chain never probes instance metadata).
 */
export function sandboxEnv(url: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: url,
    ...(env.AWS_REGION ? {} : { AWS_REGION: 'us-east-1' }),
    AWS_ACCESS_KEY_ID: 'sandbox',
    AWS_SECRET_ACCESS_KEY: 'sandbox',
  }
}
