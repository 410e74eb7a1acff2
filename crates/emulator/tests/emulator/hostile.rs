//! Answers a test dictates, hostile ones included: any status word, the
//! message of a server error, Alibaba's request id. jobform's escaping tests
//! rely on these reaching the client byte for byte.

use jobform_emulator::{Cloud, Fault, FaultKind};

use crate::support::*;

const HOSTILE: &str = "\x1b]0;owned\x07</details>\r\n```@everyone";

#[test]
fn any_status_word_is_served_as_set() {
    let emulator = start(example_world());
    assert!(emulator.set_status(SYNC_JOB, HOSTILE));
    assert!(emulator.set_status(DRS_JOBS[0], HOSTILE));
    assert!(!emulator.set_status("no-such-job", HOSTILE));
    let listed = ali(&emulator).call("DescribeDtsJobs", &[("JobType", "SYNC")]);
    let job = listed.body["DtsJobList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|job| job["DtsJobId"] == SYNC_JOB)
        .unwrap();
    assert_eq!(job["Status"], HOSTILE);
    let drs = drs_statuses(&emulator, &DRS_JOBS[..1]);
    assert_eq!(drs.body["results"][0]["status"], HOSTILE);
}

#[test]
fn server_errors_and_request_ids_carry_the_text_set() {
    let emulator = start(example_world());
    emulator.set_error_message(Some(HOSTILE));
    emulator.inject(Fault::new(FaultKind::ServerError { status: 503 }).times(2));
    let alibaba = ali(&emulator).call("DescribeDtsJobs", &[]);
    assert_eq!((alibaba.status, alibaba.body["Message"].as_str()), (503, Some(HOSTILE)));
    let huawei = drs_statuses(&emulator, &DRS_JOBS);
    assert_eq!((huawei.status, huawei.body["error_msg"].as_str()), (503, Some(HOSTILE)));

    emulator.set_alibaba_request_id(Some(HOSTILE));
    let answered = ali(&emulator).call("DescribeDtsJobs", &[]);
    assert_eq!(answered.body["RequestId"], HOSTILE);

    emulator.set_error_message(None);
    emulator.inject(Fault::new(FaultKind::ServerError { status: 503 }).on_cloud(Cloud::Huawei));
    let restored = drs_statuses(&emulator, &DRS_JOBS);
    assert_eq!(restored.body["error_msg"], "Service abnormal.");
}
