//! Every file under `shared/data/payloads` is parsed and its outcome compared
//! with an expectation read off the fixture by hand (ids copied from the files).
//!
//! Code legend: `M:id` message, `E:id` edit, `D:id` delete, `C:id` echo,
//! `S` skipped (with a reason), `I` invalid entry; `#M.. E.. ..` = counts for
//! long files; `ERR` = the whole body is rejected with a `ParseError`;
//! `VECTORS` = the signature-vector file, checked entry by entry.

mod common;

use common::*;
use hearken_connectors::{
    meta, parse_mastodon, parse_mastodon_stream, parse_meta, parse_reddit, parse_x, parse_x_lines,
    signature, InboundEvent,
};
use serde_json::Value;

/// (file under payloads/, expected outcome)
const EXPECTED: &[(&str, &str)] = &[
    ("mastodon/rest/mastodon_py_cassettes/test_conversations.json", "S M:117020593780198542 M:117020593780198542 M:117020588388552703 M:117020593780198542 M:117020593780198542 M:117020588388552703 S"),
    ("mastodon/rest/mastodon_py_cassettes/test_id_hook_in_reply_to.json", "M:117020574386452629 M:117020574393907247 S S"),
    ("mastodon/rest/mastodon_py_cassettes/test_notifications.json", "M:117020576916218297 M:117020576916218297 M:117020576916218297 S M:117020576916218297 S"),
    ("mastodon/rest/mastodon_py_cassettes/test_notifications_mentions_only.json", "M:117020577157693549 M:117020577157693549 M:117020577157693549 S"),
    ("mastodon/rest/mastodon_py_cassettes/test_push_delete.json", "S S S"),
    ("mastodon/rest/mastodon_py_cassettes/test_status.json", "M:117020583223442465 M:117020583223442465 S"),
    ("mastodon/rest/mastodon_py_cassettes/test_status_card.json", "M:117020609135389699 M:117020609135389699 S"),
    ("mastodon/rest/mastodon_py_cassettes/test_status_context.json", "M:117020585487094447 S"),
    ("mastodon/rest/mastodon_py_cassettes/test_status_edit.json", "M:117020586180926938 S M:117020586180926938 E:117020586180926938 M:117020586180926938 E:117020586180926938 S S S"),
    ("mastodon/rest/mastodon_py_cassettes/test_status_reply.json", "M:117020583245459824 S M:117020583258292382 S S"),
    ("mastodon/streaming/mastodon_py_cassettes/test_stream_direct__direct.events.json", "M:117024234734337801"),
    ("mastodon/streaming/mastodon_py_cassettes/test_stream_direct__direct.sse.txt", "M:117024234734337801"),
    ("mastodon/streaming/mastodon_py_cassettes/test_stream_user_direct__direct.events.json", "M:117024236559579118 M:117024236635443611"),
    ("mastodon/streaming/mastodon_py_cassettes/test_stream_user_direct__direct.sse.txt", "M:117024236559579118 M:117024236635443611"),
    ("mastodon/streaming/mastodon_py_cassettes/test_stream_user_direct__user.events.json", "M:117024236332527350 M:117024236408130890 M:117024236559579118 M:117024236635443611 E:117024236332527350 D:117024236332527350"),
    ("mastodon/streaming/mastodon_py_cassettes/test_stream_user_direct__user.sse.txt", "M:117024236332527350 M:117024236408130890 M:117024236559579118 M:117024236635443611 E:117024236332527350 D:117024236332527350"),
    ("mastodon/streaming/mastodon_py_cassettes/test_stream_user_local__user.events.json", "M:117024248092393661"),
    ("mastodon/streaming/mastodon_py_cassettes/test_stream_user_local__user.sse.txt", "M:117024248092393661"),
    ("meta/facebook_page/restfb/feed-album-add.json", "S"),
    ("meta/facebook_page/restfb/feed-album-edited.json", "S"),
    ("meta/facebook_page/restfb/feed-comment-add-211.json", "M:901097836652708_903438993085259"),
    ("meta/facebook_page/restfb/feed-comment-add-25.json", "M:901097836652708_903438993085259"),
    ("meta/facebook_page/restfb/feed-comment-add-with-photo.json", "M:901097836652708_903438993085259"),
    ("meta/facebook_page/restfb/feed-comment-add-with-video.json", "M:901097836652708_903438993085259"),
    ("meta/facebook_page/restfb/feed-comment-edited-25.json", "E:900728623356296_900744590021366"),
    ("meta/facebook_page/restfb/feed-comment-edited-with-photo.json", "E:900728623356296_900744590021366"),
    ("meta/facebook_page/restfb/feed-comment-edited-with-video.json", "E:900728623356296_900744590021366"),
    ("meta/facebook_page/restfb/feed-comment-hide.json", "D:900728623356296_900744590021366"),
    ("meta/facebook_page/restfb/feed-comment-remove-25.json", "D:905578656204626_905579239537901"),
    ("meta/facebook_page/restfb/feed-comment-unhide.json", "M:900728623356296_900744590021366"),
    ("meta/facebook_page/restfb/feed-event-add.json", "S"),
    ("meta/facebook_page/restfb/feed-like-add-25.json", "S"),
    ("meta/facebook_page/restfb/feed-like-add-comment-25.json", "S"),
    ("meta/facebook_page/restfb/feed-like-add-page-25.json", "S"),
    ("meta/facebook_page/restfb/feed-like-remove-25.json", "S"),
    ("meta/facebook_page/restfb/feed-photo-add-25.json", "M:1234567890321_900767076685784"),
    ("meta/facebook_page/restfb/feed-photo-add-message.json", "M:1234567890321_900767076685784"),
    ("meta/facebook_page/restfb/feed-photo-edited-message.json", "E:1234567890321_901097836652708"),
    ("meta/facebook_page/restfb/feed-photo-edited.json", "S"),
    ("meta/facebook_page/restfb/feed-photo-hide-message.json", "D:1234567890321_900767076685784"),
    ("meta/facebook_page/restfb/feed-photo-hide.json", "D:1234567890321_900767076685784"),
    ("meta/facebook_page/restfb/feed-photo-remove-25.json", "D:1234567890321_900767076685784"),
    ("meta/facebook_page/restfb/feed-post-add-25.json", "M:1234567890321_7293787835232"),
    ("meta/facebook_page/restfb/feed-post-edit.json", "E:1234567890321_7293787835232"),
    ("meta/facebook_page/restfb/feed-post-hide.json", "D:1234567890321_7293787835232"),
    ("meta/facebook_page/restfb/feed-post-remove-25.json", "D:1234567890321_901097836652708"),
    ("meta/facebook_page/restfb/feed-post-unhide.json", "M:1234567890321_7293787835232"),
    ("meta/facebook_page/restfb/feed-reaction-add-comment.json", "S"),
    ("meta/facebook_page/restfb/feed-reaction-add-reply.json", "S"),
    ("meta/facebook_page/restfb/feed-reaction-add.json", "S"),
    ("meta/facebook_page/restfb/feed-reaction-edit.json", "S"),
    ("meta/facebook_page/restfb/feed-reaction-remove.json", "S"),
    ("meta/facebook_page/restfb/feed-share-add-25.json", "M:1234567890321_98735342324352"),
    ("meta/facebook_page/restfb/feed-share-hide.json", "D:1234567890321_98735342324352"),
    ("meta/facebook_page/restfb/feed-share-unhide.json", "M:1234567890321_98735342324352"),
    ("meta/facebook_page/restfb/feed-status-add-25.json", "M:1234567890321_930145403745849"),
    ("meta/facebook_page/restfb/feed-status-add-photos.json", "M:1234567890321_930145403745849"),
    ("meta/facebook_page/restfb/feed-status-edited-25.json", "E:1234567890321_949560725137650"),
    ("meta/facebook_page/restfb/feed-status-edited-photos.json", "E:1234567890321_949560725137650"),
    ("meta/facebook_page/restfb/feed-status-hide-25.json", "D:1234567890321_7293787835232"),
    ("meta/facebook_page/restfb/feed-status-unhide.json", "M:123456789_64352426"),
    ("meta/facebook_page/restfb/feed-two-entries-25.json", "S S"),
    ("meta/facebook_page/restfb/feed-video-add.json", "M:1234567890321_901097836652708"),
    ("meta/facebook_page/restfb/feed-video-block.json", "S"),
    ("meta/facebook_page/restfb/feed-video-edited.json", "E:1234567890321_901097836652708"),
    ("meta/facebook_page/restfb/feed-video-hide.json", "D:1234567890321_901097836652708"),
    ("meta/facebook_page/restfb/feed-video-mute.json", "S"),
    ("meta/facebook_page/restfb/feed-video-remove-25.json", "D:1234567890321_900767076685784"),
    ("meta/facebook_page/restfb/feed-video-unblock.json", "S"),
    ("meta/facebook_page/restfb/mention-comment-add.json", "S"),
    ("meta/facebook_page/restfb/mention-post-add-real.json", "S"),
    ("meta/facebook_page/restfb/mention-post-add.json", "M:44444444_444444444"),
    ("meta/facebook_page/restfb/ratings-comment-add-25.json", "M:904801129604590_904802532937783"),
    ("meta/facebook_page/restfb/ratings-comment-edited-25.json", "S"),
    ("meta/facebook_page/restfb/ratings-comment-remove-25.json", "D:716630661754264_812745235476139"),
    ("meta/facebook_page/restfb/ratings-like-add-25.json", "S"),
    ("meta/facebook_page/restfb/ratings-like-add-40.json", "S"),
    ("meta/facebook_page/restfb/ratings-like-remove-25.json", "S"),
    ("meta/facebook_page/restfb/ratings-like-remove-40.json", "S"),
    ("meta/facebook_page/restfb/ratings-rating-add-25.json", "M:904801129604590"),
    ("meta/facebook_page/restfb/ratings-rating-add-31.json", "M:904801129604590"),
    ("meta/facebook_page/restfb/ratings-rating-edit-25.json", "E:904801129604590"),
    ("meta/facebook_page/restfb/ratings-rating-remove-25.json", "D:904801129604590"),
    ("meta/facebook_page/restfb/ratings-reaction-add.json", "S"),
    ("meta/facebook_page/restfb/ratings-reaction-edit.json", "S"),
    ("meta/facebook_page/restfb/ratings-reaction-remove.json", "S"),
    ("meta/facebook_page/restfb/unknown-change-value.json", "S"),
    ("meta/instagram/restfb/messaging-attachment-unsupported.json", "M:aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDUyNjkxNjAwMDk4OjM0MDI4MjM2Njg0MTcxMDMwMDk0OTEyODUyNTYwOTEwODQ0ODU4MjozMDc2OTU4MTA5OTY0OTI5MzAzMjAwODc1MDUxMTE2MTM0NAZDZD"),
    ("meta/instagram/restfb/messaging-seen.json", "S"),
    ("meta/instagram/restfb/wh-comments-2021.json", "M:123456789"),
    ("meta/instagram/restfb/wh-comments.json", "S"),
    ("meta/instagram/restfb/wh-livecomments.json", "S"),
    ("meta/instagram/restfb/wh-mentions.json", "S"),
    ("meta/instagram/restfb/wh-story_insights.json", "S"),
    ("meta/messenger/botbuilder_dotnet/Payload.json", "M:AAAA-BBBB-CCCC"),
    ("meta/messenger/botbuilder_dotnet/PayloadWithPassThreadControl.json", "S"),
    ("meta/messenger/botbuilder_dotnet/PayloadWithReferral.json", "S"),
    ("meta/messenger/botbuilder_dotnet/PayloadWithRequestThreadControl.json", "S"),
    ("meta/messenger/botbuilder_dotnet/PayloadWithStandby.json", "M:AAAA-BBBB-CCCC S S"),
    ("meta/messenger/botbuilder_dotnet/PayloadWithTakeThreadControl.json", "S"),
    ("meta/messenger/restfb/messaging-accountlinking-linked.json", "S"),
    ("meta/messenger/restfb/messaging-accountlinking-unlinked.json", "S"),
    ("meta/messenger/restfb/messaging-airline-itinerary-template.json", "M:mid.1458668856218:ed81099e15d3f4f233"),
    ("meta/messenger/restfb/messaging-approles.json", "S"),
    ("meta/messenger/restfb/messaging-button-template.json", "M:mid.1458668856218:ed81099e15d3f4f233"),
    ("meta/messenger/restfb/messaging-checkoutupdate-shipping.json", "S"),
    ("meta/messenger/restfb/messaging-delivery-basic.json", "S"),
    ("meta/messenger/restfb/messaging-message-basic-echo.json", "C:mid.1457764197618:41d102a3e1ae206a38"),
    ("meta/messenger/restfb/messaging-message-basic.json", "M:mid.1457764197618:41d102a3e1ae206a38"),
    ("meta/messenger/restfb/messaging-message-edits.json", "E:mid.1457764197618:41d102a3e1ae206a38"),
    ("meta/messenger/restfb/messaging-message-fallback-attachment.json", "M:mid.1458696618141:b4ef9d19ec21086067"),
    ("meta/messenger/restfb/messaging-message-isdeleted.json", "D:message_id"),
    ("meta/messenger/restfb/messaging-message-isunsupported.json", "S"),
    ("meta/messenger/restfb/messaging-message-location-attachment.json", "M:mid.1458696618141:b4ef9d19ec21086067"),
    ("meta/messenger/restfb/messaging-message-media-attachment.json", "M:mid.1458696618141:b4ef9d19ec21086067"),
    ("meta/messenger/restfb/messaging-message-prior.json", "M:mid.1457744567618:41d102a3e1ae206a38"),
    ("meta/messenger/restfb/messaging-message-product-template-2.json", "M:m_id"),
    ("meta/messenger/restfb/messaging-message-product-template.json", "M:mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c"),
    ("meta/messenger/restfb/messaging-message-quickreply.json", "M:mid.1458696618141:b4ef9d19ec21086067"),
    ("meta/messenger/restfb/messaging-message-reply-1.json", "M:mid.1457764197618:41d102a3e1ae206a38"),
    ("meta/messenger/restfb/messaging-message-reply-2.json", "M:mid.1457764197618:41d102a3e1ae206a38"),
    ("meta/messenger/restfb/messaging-message-sticker-thumbup.json", "M:mid.1487254148673:a082abc439"),
    ("meta/messenger/restfb/messaging-message-sticker.json", "M:mid.12345654332:226a70a704"),
    ("meta/messenger/restfb/messaging-optin-basic.json", "S"),
    ("meta/messenger/restfb/messaging-optin-userref.json", "S"),
    ("meta/messenger/restfb/messaging-pass-thread-control.json", "S"),
    ("meta/messenger/restfb/messaging-payment.json", "S"),
    ("meta/messenger/restfb/messaging-policy-callback-block.json", "S"),
    ("meta/messenger/restfb/messaging-policy-callback-unblock.json", "S"),
    ("meta/messenger/restfb/messaging-postback-basic.json", "S"),
    ("meta/messenger/restfb/messaging-postback-chat.json", "S"),
    ("meta/messenger/restfb/messaging-postback-referral.json", "S"),
    ("meta/messenger/restfb/messaging-reaction-1.json", "S"),
    ("meta/messenger/restfb/messaging-reaction-2.json", "S"),
    ("meta/messenger/restfb/messaging-read-basic.json", "S"),
    ("meta/messenger/restfb/messaging-referral-basic.json", "S"),
    ("meta/messenger/restfb/messaging-request-thread-control.json", "S"),
    ("meta/messenger/restfb/messaging-take-thread-control.json", "S"),
    ("meta/messenger/restfb/standby-message-basic-echo.json", "C:mid.1457764197618:41d102a3e1ae206a38"),
    ("reddit/praw_cassettes/TestComment.test_delete.json", "S D:d1616q2"),
    ("reddit/praw_cassettes/TestComment.test_edit.json", "M:d1616q2 E:d1616q2"),
    ("reddit/praw_cassettes/TestComment.test_parent__comment.json", "M:cklhv0f M:2gmzqe M:cklfmye M:cklhv0f"),
    ("reddit/praw_cassettes/TestComment.test_refresh__deleted_comment.json", "D:d7ltvl0 M:52o2fl"),
    ("reddit/praw_cassettes/TestComment.test_reply.json", "M:d1680wu"),
    ("reddit/praw_cassettes/TestInbox.test_comment_replies.json", "#M64 E0 D0 C0 S0 I0"),
    ("reddit/praw_cassettes/TestInbox.test_mentions.json", "#M16 E0 D0 C0 S0 I0"),
    ("reddit/praw_cassettes/TestSubmission.test_comments.json", "M:2gmzqe M:cklfmye M:cklhv0f"),
    ("signatures/webhook_signature_vectors.json", "VECTORS"),
    ("signatures/x_tweet_create_body.min.json", "M:1205348660982083584"),
    ("x/account_activity/zammad/direct_message-incoming.json", "M:1206724334791753732"),
    ("x/account_activity/zammad/direct_message-incoming.yml", "ERR"),
    ("x/account_activity/zammad/tweet_create-response.json", "M:1207623566339919872"),
    ("x/account_activity/zammad/tweet_create-response.yml", "ERR"),
    ("x/account_activity/zammad/tweet_create-user_mention.json", "M:1205348660982083584"),
    ("x/account_activity/zammad/tweet_create-user_mention.yml", "ERR"),
    ("x/account_activity/zammad/webhook1_direct_message.json", "M:1062015437679050760"),
    ("x/account_activity/zammad/webhook1_tweet.json", "M:1063212927510081536"),
    ("x/api_v1_1/tweepy_cassettes/testgetdirectmessages.json", ""),
    ("x/api_v1_1/tweepy_cassettes/testmentionstimeline.json", ""),
    ("x/api_v1_1/tweepy_cassettes/testsendanddeletedirectmessage.json", "S S M:1150493286110552068 S"),
    ("x/api_v2/twarc_csv_test_data/edited.jsonl", "E:1576994746135764992"),
    ("x/api_v2/twarc_csv_test_data/geo_tweets.jsonl", "M:1249702384659554308 M:1501963039859363843"),
    ("x/api_v2/twarc_csv_test_data/many_urls.jsonl", "M:1610692575752601600"),
    ("x/api_v2/twarc_csv_test_data/media_tweet.jsonl", "M:1558553189766631429"),
    ("x/api_v2/twarc_csv_test_data/mentions_tweet.jsonl", "S"),
    ("x/api_v2/twarc_csv_test_data/noflat.jsonl", "#M53 E0 D0 C0 S48 I0"),
    ("x/api_v2/twarc_csv_test_data/quoted_edit.jsonl", "M:1576995594388000768"),
    ("x/api_v2/twarc_csv_test_data/streaming_output_with_error.jsonl", "M:1377650090978992134 M:1377650093109743620 M:1377650277642338305 M:1377650387579248643 M:1377650459033280516 M:1377650500687044618 M:1377650529766154240 I"),
    ("x/api_v2/twarc_csv_test_data/tweets_compliance.jsonl", "D:1170025343920402432 D:1170147183095664640"),
    ("x/api_v2/twarc_csv_test_data/two_tweets.jsonl", "S"),
    ("x/api_v2/twarc_csv_test_data/withheld.jsonl", "#M132 E0 D0 C0 S88 I0"),
    ("x/api_v2/tweepy_cassettes/test_client_create_and_delete_tweet.json", "S S"),
    ("x/api_v2/tweepy_cassettes/test_client_get_me.json", "S"),
    ("x/api_v2/tweepy_cassettes/test_client_get_quote_tweets.json", "S S S S S S S S S"),
    ("x/api_v2/tweepy_cassettes/test_client_get_tweet.json", "S"),
    ("x/api_v2/tweepy_cassettes/test_client_get_tweets.json", "S S"),
    ("x/api_v2/tweepy_cassettes/test_client_get_users.json", "S S"),
    ("x/api_v2/tweepy_cassettes/test_client_get_users_mentions.json", "S S S S S S S S S S"),
    ("x/api_v2/tweepy_cassettes/test_client_get_users_tweets.json", "S S"),
    ("x/api_v2/tweepy_cassettes/test_client_hide_and_unhide_reply.json", "S S"),
    ("x/api_v2/tweepy_cassettes/test_client_search_recent_tweets.json", "S S S S S S S S S S"),
    ("x/api_v2/tweepy_cassettes/test_manage_and_lookup_direct_messages.json", "S S S S S S S"),
];

/// Parse one fixture the way the service would receive it.
fn outcome(rel: &str) -> String {
    let ctx = ctx_for(rel);
    let fail = |e: hearken_connectors::ParseError| format!("ERR({e})");
    if rel.ends_with(".yml") {
        // Ruby-YAML originals: not a wire format; must be rejected, never half-parsed.
        return match parse_x(&bytes(rel), &ctx) {
            Err(_) => "ERR".into(),
            Ok(ev) => format!("unexpected Ok: {}", compact(&ev)),
        };
    }
    if rel == "signatures/webhook_signature_vectors.json" {
        check_signature_vectors();
        return "VECTORS".into();
    }
    let events: Vec<InboundEvent> = if rel.ends_with(".jsonl") {
        parse_x_lines(&bytes(rel), &ctx)
    } else if rel.ends_with(".sse.txt") {
        match parse_mastodon_stream(&bytes(rel), &ctx) {
            Ok(e) => e,
            Err(e) => return fail(e),
        }
    } else if rel.ends_with(".events.json") {
        mastodon_events_file(rel, &ctx)
    } else if rel.starts_with("meta/") {
        match parse_meta(&bytes(rel), &ctx) {
            Ok(e) => e,
            Err(e) => return fail(e),
        }
    } else if rel.contains("zammad/webhook1_") {
        let v: Value = serde_json::from_slice(&bytes(rel)).unwrap();
        let body = serde_json::to_vec(&v["params"]).unwrap();
        match parse_x(&body, &ctx) {
            Ok(e) => e,
            Err(e) => return fail(e),
        }
    } else if rel.starts_with("x/account_activity") || rel.starts_with("signatures/") {
        match parse_x(&bytes(rel), &ctx) {
            Ok(e) => e,
            Err(e) => return fail(e),
        }
    } else {
        let parse = match rel.split('/').next() {
            Some("x") => parse_x,
            Some("mastodon") => parse_mastodon,
            Some("reddit") => parse_reddit,
            _ => return format!("no parser for {rel}"),
        };
        let mut all = Vec::new();
        for body in cassette_bodies(rel) {
            match parse(&body, &ctx) {
                Ok(e) => all.extend(e),
                Err(e) => return fail(e),
            }
        }
        all
    };
    for e in &events {
        if let InboundEvent::Skipped { reason } | InboundEvent::Invalid { reason } = e {
            assert!(reason.len() > 5, "{rel}: empty reason");
        }
    }
    compact(&events)
}

/// Every vector in the signature file, documented and computed.
pub fn check_signature_vectors() {
    let v: Value =
        serde_json::from_slice(&bytes("signatures/webhook_signature_vectors.json")).unwrap();
    let mut checked = 0;
    for d in v["documented"].as_array().unwrap() {
        let (secret, body, header) = (
            d["secret"].as_str().unwrap(),
            d["body_utf8"].as_str().unwrap(),
            d["expected_header"].as_str().unwrap(),
        );
        assert_eq!(meta::meta_signature_256(secret, body.as_bytes()), header);
        assert!(meta::verify_meta_signature_256(
            secret,
            body.as_bytes(),
            header
        ));
        checked += 1;
    }
    for m in v["computed_meta_x_hub_signature"].as_array().unwrap() {
        let rel = m["body_file"]
            .as_str()
            .unwrap()
            .trim_start_matches("payloads/");
        let body = bytes(rel);
        assert_eq!(
            body.len() as u64,
            m["body_bytes"].as_u64().unwrap(),
            "{rel} size"
        );
        let secret = m["app_secret"].as_str().unwrap();
        let s256 = m["X-Hub-Signature-256"].as_str().unwrap();
        let s1 = m["X-Hub-Signature (legacy sha1)"].as_str().unwrap();
        assert!(
            meta::verify_meta_signature_256(secret, &body, s256),
            "{rel} sha256"
        );
        assert!(
            meta::verify_meta_signature_sha1(secret, &body, s1),
            "{rel} sha1"
        );
        assert!(!meta::verify_meta_signature_256("wrong", &body, s256));
        assert!(!meta::verify_meta_signature_sha1(secret, b"tampered", s1));
        checked += 1;
    }
    for x in v["computed_x_twitter"].as_array().unwrap() {
        let secret = x["consumer_secret"].as_str().unwrap();
        if let Some(token) = x["crc_token"].as_str() {
            let want = x["expected_response_json"]["response_token"]
                .as_str()
                .unwrap();
            assert_eq!(signature::crc_response(secret, token), want);
        } else {
            let rel = x["body_file"]
                .as_str()
                .unwrap()
                .trim_start_matches("payloads/");
            let body = bytes(rel);
            let header = x["expected_header"].as_str().unwrap();
            assert_eq!(signature::x_signature(secret, &body), header);
            assert!(signature::verify_x_signature(secret, &body, header));
            assert!(!signature::verify_x_signature(secret, &body[1..], header));
        }
        checked += 1;
    }
    assert_eq!(checked, 7, "documented 1 + meta 4 + x 2");
}

#[test]
fn every_payload_file_has_an_expectation() {
    let listed: Vec<&str> = EXPECTED.iter().map(|(f, _)| *f).collect();
    let on_disk = all_payload_files();
    let missing: Vec<&String> = on_disk
        .iter()
        .filter(|f| !listed.contains(&f.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "payload files without expectation: {missing:?}"
    );
    assert_eq!(on_disk.len(), listed.len(), "stale entries in EXPECTED");
}

#[test]
fn every_payload_file_parses_as_expected() {
    let mut wrong = Vec::new();
    for (rel, want) in EXPECTED {
        let got = outcome(rel);
        if got != *want {
            wrong.push(format!("{rel}\n   want: {want}\n   got:  {got}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} mismatches:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn sse_and_gatherer_events_agree() {
    for rel in all_payload_files()
        .iter()
        .filter(|f| f.ends_with(".sse.txt"))
    {
        let ctx = ctx_for(rel);
        let from_sse = parse_mastodon_stream(&bytes(rel), &ctx).unwrap();
        let twin = rel.replace(".sse.txt", ".events.json");
        assert_eq!(from_sse, mastodon_events_file(&twin, &ctx), "{rel}");
    }
}
