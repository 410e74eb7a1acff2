"""Drives a freshly started emulator (example world) with the clouds' official
Python SDKs and asserts they cannot tell it from the real service.

Not run by CI (it needs the SDKs from PyPI). Run it by hand:

    python3 -m venv /tmp/sdks
    /tmp/sdks/bin/pip install alibabacloud-dts20200101 aliyun-python-sdk-core aliyun-python-sdk-dts huaweicloudsdkdrs
    cargo run -p jobform-emulator --example serve -- --listen 127.0.0.1:8470 &
    EMULATOR=127.0.0.1:8470 /tmp/sdks/bin/python crates/emulator/conformance/official_sdks.py
"""

import json
import os
import warnings

from alibabacloud_dts20200101 import models as dts
from alibabacloud_dts20200101.client import Client
from alibabacloud_tea_openapi import models as open_api_models
from aliyunsdkcore.client import AcsClient
from aliyunsdkdts.request.v20200101.DescribeDtsJobsRequest import DescribeDtsJobsRequest
from aliyunsdkdts.request.v20200101.SuspendDtsJobRequest import SuspendDtsJobRequest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkdrs.v3 import (BatchListJobStatusRequest, BatchPauseJobReq, BatchQueryJobReqPage,
                                  BatchStopJobsRequest, DrsClient, PageReq, PauseInfo, QueryJobsReq,
                                  ShowJobListRequest)

warnings.simplefilter("ignore")  # the DRS v3 methods are marked deprecated
HOST = os.environ.get("EMULATOR", "127.0.0.1:8470")
REGION = "cn-hangzhou"


def tea(secret="jobform-example-secret", algorithm=None):
    config = open_api_models.Config(access_key_id="LTAIjobformexample", access_key_secret=secret,
                                    endpoint=HOST, protocol="http", region_id=REGION)
    if algorithm:
        config.signature_algorithm = algorithm
    return Client(config)


# tea-openapi: ACS3-HMAC-SHA256 (default) and RPC V1 ("v2" in the SDK's words).
for algorithm in (None, "v2"):
    client = tea(algorithm=algorithm)
    listed = client.describe_dts_jobs(dts.DescribeDtsJobsRequest(job_type="SYNC", region_id=REGION, page_size=10))
    job = listed.body.dts_job_list[0]
    assert (job.dts_job_id, job.dts_instance_id, job.status) == ("l3m1213ye7l0001", "dtsl3m1213ye7l0001", "Synchronizing")
    assert job.reverse_job.status == "Synchronizing" and listed.body.total_record_count == 1
    detail = client.describe_dts_job_detail(dts.DescribeDtsJobDetailRequest(dts_job_id="k2n8x7c1vq90002", region_id=REGION))
    assert detail.body.status == "Migrating" and detail.body.success is True

client = tea()
# The listing jobform import reads: every job of a type, filtered by status, with names and instance ids.
listed = client.describe_dts_jobs(dts.DescribeDtsJobsRequest(
    job_type="MIGRATION", region=REGION, status="Migrating", page_number=1, page_size=30, without_db_list=True))
assert [job.dts_job_id for job in listed.body.dts_job_list] == ["k2n8x7c1vq90002"], listed.body
assert listed.body.dts_job_list[0].dts_job_name and listed.body.total_record_count == 1
suspended = client.suspend_dts_job(dts.SuspendDtsJobRequest(dts_job_id="k2n8x7c1vq90002", region_id=REGION))
assert suspended.body.success is True and suspended.body.http_status_code == 200
try:
    client.suspend_dts_job(dts.SuspendDtsJobRequest(dts_job_id="nosuchjob", region_id=REGION))
    raise AssertionError("an unknown job must be refused")
except Exception as error:  # the SDK raises its own ClientException
    assert error.code == "InvalidParameter" and error.data["DynamicMessage"] == "DtsJobId", error
legacy = client.suspend_migration_job(dts.SuspendMigrationJobRequest(
    migration_job_id="dtsj1x11y51g3b0004", region_id=REGION, client_token="conformance-1"))
assert legacy.body.success == "true"
migrations = client.describe_migration_jobs(dts.DescribeMigrationJobsRequest(region_id=REGION, page_size=10))
assert migrations.body.migration_jobs.migration_job[0].migration_job_id == "dtsj1x11y51g3b0004"
assert migrations.body.migration_jobs.migration_job[0].migration_job_name and migrations.body.total_record_count == 1
syncs = client.describe_synchronization_jobs(dts.DescribeSynchronizationJobsRequest(region_id=REGION))
assert syncs.body.synchronization_instances[0].status == "Synchronizing"
try:
    tea(secret="wrong").describe_dts_jobs(dts.DescribeDtsJobsRequest(region_id=REGION))
    raise AssertionError("a wrong secret must be refused")
except Exception as error:
    assert error.code == "SignatureDoesNotMatch", error

# aliyun-python-sdk-core: V1 with Format=JSON and SignatureType=.
core = AcsClient("LTAIjobformexample", "jobform-example-secret", REGION)
request = DescribeDtsJobsRequest()
request.set_endpoint(HOST)
request.set_protocol_type("http")
request.set_JobType("SUBSCRIBE")
assert json.loads(core.do_action_with_exception(request))["DtsJobList"][0]["Status"] == "Normal"
request = SuspendDtsJobRequest()
request.set_endpoint(HOST)
request.set_protocol_type("http")
request.set_DtsJobId("s9p4b2d6fw30003")
assert json.loads(core.do_action_with_exception(request))["Success"] is True
try:
    AcsClient("LTAIjobformexample", "wrong", REGION).do_action_with_exception(request)
    raise AssertionError("a wrong secret must be refused")
except Exception as error:
    # The legacy SDK compares its string to sign with the server's and names the secret.
    assert error.get_error_code() == "InvalidAccessKeySecret", error

# huaweicloudsdkdrs: AK/SK signing, X-Project-Id, per-item results.
def drs(secret):
    credentials = BasicCredentials("HWJOBFORMEXAMPLEAK01", secret, "054ba152d480d55b2f5dc0069e7ddef0")
    return (DrsClient.new_builder().with_http_config(HttpConfig.get_default_config())
            .with_credentials(credentials).with_endpoint(f"http://{HOST}").build())


ids = ["8d0e8e36-a618-490d-8a46-8c61ac9bb502", "00000000-0000-4000-8000-000000000000"]
statuses = drs("jobform-example-sk").batch_list_job_status(BatchListJobStatusRequest(
    body=BatchQueryJobReqPage(jobs=ids, page_req=PageReq(cur_page=1, per_page=0))))
assert statuses.count == 2
assert (statuses.results[0].status, statuses.results[1].error_code) == ("INCRE_TRANSFER_STARTED", "DRS.10000010")
# ShowJobList (POST /v3/{project_id}/jobs): one db_use_type a request, paged, with its total.
jobs = drs("jobform-example-sk").show_job_list(ShowJobListRequest(
    body=QueryJobsReq(db_use_type="migration", cur_page=1, per_page=100)))
assert jobs.total_record == len(jobs.jobs) and ids[0] in [job.id for job in jobs.jobs], jobs
assert all(job.db_use_type == "migration" and job.name and job.status for job in jobs.jobs)
running = drs("jobform-example-sk").show_job_list(ShowJobListRequest(
    body=QueryJobsReq(db_use_type="migration", status="INCRE_TRANSFER_STARTED", engine_type="mysql")))
assert {job.status for job in running.jobs} == {"INCRE_TRANSFER_STARTED"}, running
try:
    drs("jobform-example-sk").show_job_list(ShowJobListRequest(body=QueryJobsReq(db_use_type="replay")))
    raise AssertionError("an unknown db_use_type must be refused")
except ClientRequestException as error:
    assert (error.status_code, error.error_code) == (400, "DRS.M00202"), error
paused = drs("jobform-example-sk").batch_stop_jobs(BatchStopJobsRequest(
    body=BatchPauseJobReq(jobs=[PauseInfo(job_id=ids[0], pause_mode="target")])))
assert paused.results[0].status == "success"
try:
    drs("wrong").batch_stop_jobs(BatchStopJobsRequest(body=BatchPauseJobReq(jobs=[PauseInfo(job_id=ids[0], pause_mode="target")])))
    raise AssertionError("a wrong SK must be refused")
except ClientRequestException as error:
    assert (error.status_code, error.error_code) == (401, "APIGW.0301") and error.request_id, error

print("official SDKs: all checks passed")
