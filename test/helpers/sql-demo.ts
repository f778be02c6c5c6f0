// The demo SQL world's availability group, as the SQL step tests drive it.
export const DEMO_AG = 'AG-GIFTCARD'

/** sql.add-replica's params joining SQL-AWS-1 to the demo AG, with the listener IP for its subnet. */
export const DEMO_ADD_REPLICA = {
  ag: DEMO_AG,
  primary: 'sql-onprem',
  replica: 'sql-aws',
  endpoint_url: 'TCP://sql-aws-1.giftcard.local:5022',
  listener_ip: { listener: 'giftcard-lsn', ip: '10.20.1.50', mask: '255.255.255.0' },
}
