import { adSync } from './ad/sync.js'
import { autoscalingInService } from './autoscaling/in-service.js'
import { cloudwatchAlarm } from './cloudwatch/alarm.js'
import type { StepDefinition } from './contract.js'
import { approve } from './core/approve.js'
import { exec } from './core/exec.js'
import { noop } from './core/noop.js'
import { wait } from './core/wait.js'
import { ec2Snapshot } from './ec2/snapshot.js'
import { ec2WaitStatus } from './ec2/wait-status.js'
import { elbv2TargetHealth } from './elbv2/target-health.js'
import { iisHealth } from './iis/health.js'
import { route53Shift } from './route53/shift.js'
import { route53Weights } from './route53/weights.js'
import { snsNotify } from './sns/notify.js'
import { sqlAddReplica } from './sql/add-replica.js'
import { sqlFailover } from './sql/failover.js'
import { sqlPreflight } from './sql/preflight.js'
import { sqlSeedReplica } from './sql/seed-replica.js'
import { sqlSyncObjects } from './sql/sync-objects.js'
import { sqlWaitSync } from './sql/wait-sync.js'
import { ssmPatchCompliance } from './ssm/patch-compliance.js'
import { ssmRun } from './ssm/run.js'

/** Every step type a runbook may name in `uses`. The engine finds types here, never by name. */
export const stepTypes: ReadonlyMap<string, StepDefinition> = new Map(
  [
    exec,
    wait,
    approve,
    noop,
    route53Weights,
    route53Shift,
    cloudwatchAlarm,
    ec2WaitStatus,
    ec2Snapshot,
    snsNotify,
    ssmRun,
    sqlPreflight,
    sqlAddReplica,
    sqlSeedReplica,
    sqlWaitSync,
    sqlSyncObjects,
    sqlFailover,
    adSync,
    iisHealth,
    elbv2TargetHealth,
    autoscalingInService,
    ssmPatchCompliance,
  ].map((definition) => [definition.type, definition]),
)
