# Alibaba Cloud DTS jobs in cn-hangzhou.

# A two-way synchronization: one block per direction of the same DTS job.
job "alibaba_dts" "orders_sync" {
  id          = "l3m1213ye7l0001"
  instance_id = "dtsl3m1213ye7l0001"
  state       = local.job_state
  direction   = "forward"
  description = "Orders: Hangzhou primary to the reporting replica"
}

job "alibaba_dts" "orders_sync_reverse" {
  id          = "l3m1213ye7l0001"
  instance_id = "dtsl3m1213ye7l0001"
  state       = local.job_state
  direction   = "reverse"
  depends_on  = [alibaba_dts.orders_sync]
}

job "alibaba_dts" "billing_migration" {
  id          = "k2n8x7c1vq90002"
  instance_id = "dtsk2n8x7c1vq90002"
  state       = local.job_state
  description = "Billing: incremental migration to the new cluster"
}

# Change tracking (subscribe) cannot be suspended: DTS accepts the request and
# does nothing. It keeps running through maintenance windows.
job "alibaba_dts" "audit_trail" {
  id          = "s9p4b2d6fw30003"
  instance_id = "dtss9p4b2d6fw30003"
  state       = "running"
}

# Jobs created with the legacy DTS API.
job "alibaba_migration" "legacy_inventory" {
  id    = "dtsj1x11y51g3b0004"
  state = local.job_state
}

job "alibaba_synchronization" "legacy_reports" {
  id         = "dtsmr1q4mc21520005"
  state      = local.job_state
  direction  = "forward"
  depends_on = [alibaba_migration.legacy_inventory]
}
