//! Tests of the Huawei client against the scripted responder.
