import type { DemoPlatform } from '../../src/sandbox/demo-platform.ts'

/** `-p` flags over the flagship's sandbox params: the addresses `on` listens on, and times scaled down. */
export function flagshipOverrides(on: DemoPlatform): string[] {
  const { sql, webHealthUrl, dcs } = on.addresses
  return [
    ['sql_onprem', sql['SQL-ONPREM-1']],
    ['sql_aws', sql['SQL-AWS-1']],
    ['sql_onprem_2', sql['SQL-ONPREM-2']],
    ['web_health_url', webHealthUrl],
    ['bake', '200ms'],
    ['gate_poll', '100ms'],
    ['sql_poll', '200ms'],
    ...(dcs['dc-onprem-1']?.url ? [['dc_onprem_url', dcs['dc-onprem-1'].url]] : []),
    ...(dcs['dc-aws-1']?.url ? [['dc_aws_url', dcs['dc-aws-1'].url]] : []),
  ].flatMap(([name, value]) => ['-p', `${name}=${value}`])
}
