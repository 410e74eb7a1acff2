# Maintenance windows: jobs paused on a schedule, resumed when the window
# closes. Run `jobform validate` in this directory; against the emulator,
# `jobform emulator run -- plan` (it follows the emulator's clock).
#
# Keep the windows with a scheduled `jobform apply --auto-approve` every few
# minutes: each run pauses what a window opened and resumes what one closed.

provider "alibaba" {
  region            = "cn-hangzhou"
  access_key_id     = env("ALIBABA_CLOUD_ACCESS_KEY_ID")
  access_key_secret = env("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
}

provider "huawei" {
  region     = "ap-southeast-1"
  project_id = "054ba152d480d55b2f5dc0069e7ddef0"
  access_key = env("HUAWEICLOUD_SDK_AK")
  secret_key = env("HUAWEICLOUD_SDK_SK")
}

# Once: the billing cut-over. An incremental task may stay paused 6 hours at
# most (a longer window is blocked as window_too_long); this one is 2.
job "alibaba_dts" "billing_migration" {
  id          = "k2n8x7c1vq90002"
  instance_id = "dtsk2n8x7c1vq90002"
  state       = "running"
  suspend_window = {
    from  = "2026-12-05T02:00:00+08:00"
    until = "2026-12-05T04:00:00+08:00"
  }
}

# Every Sunday at 02:00 Berlin time, summer or winter, for 2 hours. With
# pause_mode = "target" (the default) DRS keeps capturing the source's logs,
# so no pause limit applies.
job "huawei_drs" "eu_replica" {
  for_each = toset([
    "8d0e8e36-a618-490d-8a46-8c61ac9bb502",
    "5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60",
  ])
  id    = each.key
  state = "running"
  suspend_window = {
    every     = "0 2 * * SUN"
    duration  = "2h"
    time_zone = "Europe/Berlin"
  }
}
