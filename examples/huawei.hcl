# Huawei Cloud DRS jobs in ap-southeast-1: one block, one instance per job id.

job "huawei_drs" "eu_replica" {
  for_each    = var.eu_replica_ids
  id          = each.value
  state       = local.job_state
  pause_mode  = "target" # stop replay only; log capture goes on
  description = format("EU replica %s", each.key)
  depends_on  = [alibaba_dts.orders_sync]
}
