import { awsQueryService } from '../query-endpoint.js'
import type { ServiceEndpoint } from '../service.js'
import type { StsWorld } from './world.js'

export function stsEndpoint(world: StsWorld): ServiceEndpoint {
  return awsQueryService(
    {
      name: 'sts',
      signingName: 'sts',
      namespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
      version: '2011-06-15',
    },
    { GetCallerIdentity: () => ({ ...world.identity }) },
  )
}
