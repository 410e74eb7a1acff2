# One provider block per cloud account and region. Credentials are read from
# the environment: env() returns null when a variable is unset, and the
# provider then falls back to the cloud's usual variables when it is built.
# `jobform validate` needs no credentials at all.

provider "alibaba" {
  region            = "cn-hangzhou"
  access_key_id     = env("ALIBABA_CLOUD_ACCESS_KEY_ID")
  access_key_secret = env("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
  endpoint          = var.alibaba_endpoint
}

provider "huawei" {
  region     = "ap-southeast-1"
  project_id = var.huawei_project_id
  # AK/SK signing; an IAM token (auth_token = env("HUAWEICLOUD_AUTH_TOKEN"))
  # works too, but not both at once.
  access_key = env("HUAWEICLOUD_SDK_AK")
  secret_key = env("HUAWEICLOUD_SDK_SK")
  endpoint   = var.huawei_endpoint
}
