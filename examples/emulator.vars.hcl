# Points both providers at a local emulator (`jobform emulator serve`):
#   jobform plan --var-file emulator.vars.hcl
# Files named *.vars.hcl are variable files, never configuration.
alibaba_endpoint = "http://127.0.0.1:8470"
huawei_endpoint  = "http://127.0.0.1:8470"
