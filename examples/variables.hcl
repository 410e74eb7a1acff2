# Inputs of this configuration. Set them with --var NAME=VALUE, --var-file FILE,
# a jobform.vars.hcl / *.auto.vars.hcl file, or JOBFORM_VAR_<name>.

variable "maintenance" {
  type        = bool
  default     = false
  description = "Maintenance window: when true, every replication job is suspended."
}

variable "alibaba_endpoint" {
  type        = string
  default     = null # null: the real Alibaba Cloud endpoint of the region
  description = "Override of the Alibaba DTS endpoint (the emulator, a private endpoint)."
}

variable "huawei_endpoint" {
  type        = string
  default     = null # null: the real Huawei Cloud endpoint of the region
  description = "Override of the Huawei DRS endpoint (the emulator, a private endpoint)."
}

variable "huawei_project_id" {
  type        = string
  default     = "054ba152d480d55b2f5dc0069e7ddef0"
  description = "The Huawei Cloud project the DRS jobs live in."

  validation {
    condition     = length(var.huawei_project_id) == 32
    error_message = "A Huawei Cloud project id has 32 hexadecimal characters."
  }
}

variable "eu_replica_ids" {
  type        = set(string)
  description = "The DRS jobs replicating orders to the EU region."
  default = [
    "8d0e8e36-a618-490d-8a46-8c61ac9bb502",
    "5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60",
    "c0ffee00-1234-4abc-8def-0123456789ab",
  ]
}

locals {
  # One switch for the whole fleet.
  job_state = var.maintenance ? "suspended" : "running"
}
