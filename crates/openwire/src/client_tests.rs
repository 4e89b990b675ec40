//! The client against a scripted broker: bytes handed over in memory.

use std::sync::Arc;

use bytes::BytesMut;

use super::*;
use crate::primitive::PrimitiveMap;
use crate::schema::{ConnectionInfo, ExceptionResponse, MessageDispatch, Queue, Response};

fn options(version: i32) -> WireFormatOptions {
    WireFormatOptions {
        version,
        stack_trace: false,
        cache: true,
        tcp_no_delay: true,
        tight: true,
        size_prefix_disabled: false,
        max_frame_size: 1 << 20,
        cache_size: 1024,
        max_inactivity: 0,
        max_inactivity_initial_delay: 0,
        properties: PrimitiveMap::default(),
    }
}

/// The broker side: its own codecs, and the bytes it has to send.
struct Peer {
    rx: Codec,
    tx: Codec,
    input: BytesMut,
    output: BytesMut,
}

impl Peer {
    /// A broker that reads the client's WireFormatInfo from `from_client`
    /// and answers with its own offering `version`.
    fn accept(from_client: Bytes, version: i32) -> Peer {
        let mut peer = Peer {
            rx: Codec::new(WireFormat::initial(12)),
            tx: Codec::new(WireFormat::initial(12)),
            input: BytesMut::from(&from_client[..]),
            output: BytesMut::new(),
        };
        let theirs = match peer.next() {
            Some(DataStructure::WireFormatInfo(info)) => {
                WireFormatOptions::from_info(&info).expect("client options")
            }
            other => panic!("the client did not open with WireFormatInfo: {other:?}"),
        };
        let ours = options(version);
        peer.send(DataStructure::WireFormatInfo(Arc::new(
            ours.to_info().expect("broker options"),
        )));
        let format = negotiate(&ours, &theirs);
        peer.rx.set_format(format);
        peer.tx.set_format(format);
        peer
    }

    fn next(&mut self) -> Option<DataStructure> {
        self.rx
            .read_frame(&mut self.input)
            .expect("decodes")
            .flatten()
    }

    fn send(&mut self, cmd: DataStructure) {
        self.tx
            .write_frame(Some(&cmd), &mut self.output)
            .expect("encodes");
    }

    fn take(&mut self) -> BytesMut {
        self.output.split()
    }
}

fn connection_info() -> DataStructure {
    DataStructure::ConnectionInfo(Arc::new(ConnectionInfo::default()))
}

fn response(correlation_id: i32) -> DataStructure {
    DataStructure::Response(Arc::new(Response {
        correlation_id,
        ..Default::default()
    }))
}

fn events(client: &mut Client) -> Vec<Event> {
    std::iter::from_fn(|| client.poll_event().expect("valid input")).collect()
}

#[test]
fn negotiates_then_sends_what_was_held_with_command_ids() {
    let mut client = Client::new(options(12)).expect("client");
    // Sent before the broker answered: held until the format is known.
    let connect = client.request(connection_info()).expect("request");
    let session_id = client
        .send(DataStructure::SessionInfo(Arc::default()))
        .expect("send");
    assert_eq!((connect, session_id), (RequestId(1), 2));
    let mut peer = Peer::accept(client.take_output(), 11);
    assert!(client.take_output().is_empty(), "held until negotiated");
    assert_eq!(client.format(), None);

    client.receive(&peer.take());
    let got = events(&mut client);
    assert!(matches!(got[..], [Event::Negotiated(f)] if f.version == 11 && f.tight));
    assert_eq!(client.peer_options().map(|o| o.version), Some(11));

    peer.input.extend_from_slice(&client.take_output());
    let first = peer.next().expect("ConnectionInfo");
    assert_eq!(
        first.command_header(),
        Some(CommandHeader {
            command_id: 1,
            response_required: true
        })
    );
    let second = peer.next().expect("SessionInfo");
    assert_eq!(second.command_header().map(|h| h.command_id), Some(2));
    assert_eq!(
        second.command_header().map(|h| h.response_required),
        Some(false)
    );
}

#[test]
fn responses_complete_their_requests_and_other_commands_pass_through() {
    let mut client = Client::new(options(12)).expect("client");
    let mut peer = Peer::accept(client.take_output(), 12);
    client.receive(&peer.take());
    let _ = events(&mut client);
    let ok = client.request(connection_info()).expect("request");
    let refused = client.request(connection_info()).expect("request");
    assert_eq!(client.pending_requests(), 2);

    let dispatch = DataStructure::MessageDispatch(Arc::new(MessageDispatch {
        destination: Some(DataStructure::Queue(Arc::new(Queue {
            physical_name: Some("q".into()),
        }))),
        ..Default::default()
    }));
    peer.send(dispatch.clone());
    peer.send(DataStructure::KeepAliveInfo(Arc::new(KeepAliveInfo {
        response_required: true,
        ..Default::default()
    })));
    peer.send(DataStructure::ExceptionResponse(Arc::new(
        ExceptionResponse {
            correlation_id: refused.0,
            exception: Some(Box::new(Throwable {
                class: Some("javax.jms.InvalidClientIDException".into()),
                message: Some("in use".into()),
                ..Default::default()
            })),
            ..Default::default()
        },
    )));
    peer.send(response(ok.0));
    // A response to nothing we asked is the application's business.
    peer.send(response(99));
    // Byte by byte: events only for complete frames.
    let bytes = peer.take();
    let mut got = Vec::new();
    for b in bytes.iter() {
        client.receive(&[*b]);
        got.extend(events(&mut client));
    }
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(matches!(&got[0], Event::Command(d) if *d == dispatch));
    match &got[1] {
        Event::Completed(Completion {
            request,
            outcome: Err(e),
        }) => {
            assert_eq!(*request, refused);
            assert_eq!(e.to_string(), "javax.jms.InvalidClientIDException in use");
        }
        other => panic!("expected the refusal, got {other:?}"),
    }
    assert!(
        matches!(&got[2], Event::Completed(Completion { request, outcome: Ok(DataStructure::Response(_)) }) if *request == ok)
    );
    assert!(matches!(
        &got[3],
        Event::Command(DataStructure::Response(_))
    ));
    assert_eq!(client.pending_requests(), 0);

    // The keep-alive was answered, after the two requests.
    peer.input.extend_from_slice(&client.take_output());
    assert!(matches!(
        peer.next(),
        Some(DataStructure::ConnectionInfo(_))
    ));
    assert!(matches!(
        peer.next(),
        Some(DataStructure::ConnectionInfo(_))
    ));
    assert!(matches!(peer.next(), Some(DataStructure::KeepAliveInfo(_))));
}

#[test]
fn a_peer_that_does_not_open_with_wire_format_info_is_an_error() {
    let mut client = Client::new(options(12)).expect("client");
    let mut tx = Codec::new(WireFormat::initial(12));
    let mut bytes = BytesMut::new();
    tx.write_frame(Some(&response(1)), &mut bytes)
        .expect("encodes");
    client.receive(&bytes);
    assert!(matches!(
        client.poll_event(),
        Err(ClientError::NoWireFormat("Response"))
    ));
}

#[test]
fn only_commands_can_be_sent() {
    let mut client = Client::new(options(12)).expect("client");
    let queue = DataStructure::Queue(Arc::default());
    assert!(matches!(
        client.send(queue),
        Err(ClientError::NotACommand("Queue"))
    ));
}
