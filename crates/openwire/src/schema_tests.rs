//! What the schema macros generate beyond readers and writers: type codes,
//! the command header accessors, field codes.

use std::sync::Arc;

use super::*;

#[test]
fn every_structure_has_its_type_code() {
    for ds in DataStructure::defaults_for_version(12) {
        let kind = ds.kind();
        assert_eq!(ds.data_type(), kind.code());
        assert_eq!(DataType::from_code(kind.code()), Some(kind));
        assert_eq!(format!("{kind:?}"), ds.name());
    }
    assert_eq!(DataType::TextMessage.code(), 28);
    assert_eq!(DataType::BytesMessage.code(), 24);
    assert_eq!(DataType::ActiveMqMessage.code(), 23);
    assert_eq!(DataType::from_code(13), None);
}

#[test]
fn commands_have_a_header_and_other_structures_none() {
    let info = DataStructure::ConsumerInfo(Arc::new(ConsumerInfo {
        command_id: 7,
        response_required: true,
        ..Default::default()
    }));
    assert_eq!(
        info.command_header(),
        Some(CommandHeader {
            command_id: 7,
            response_required: true
        })
    );
    for not_a_command in [
        DataStructure::Queue(Arc::default()),
        DataStructure::MessageId(Arc::default()),
        DataStructure::WireFormatInfo(Arc::default()),
        // It has a command id but no response flag: not a BaseCommand.
        DataStructure::PartialCommand(Arc::default()),
    ] {
        assert_eq!(not_a_command.command_header(), None, "{not_a_command:?}");
    }
}

#[test]
fn setting_a_header_copies_a_shared_command() {
    let shared = Arc::new(Message::default());
    let mut msg = DataStructure::TextMessage(Arc::clone(&shared));
    let header = CommandHeader {
        command_id: 3,
        response_required: true,
    };
    assert!(msg.set_command_header(header));
    assert_eq!(msg.command_header(), Some(header));
    assert_eq!(shared.command_id, 0, "the shared original is untouched");
    let mut queue = DataStructure::Queue(Arc::default());
    assert!(!queue.set_command_header(header));
}

#[test]
fn field_codes_and_their_names() {
    assert_eq!(ack_type::STANDARD, 2);
    assert_eq!(ack_type::INDIVIDUAL, 4);
    assert_eq!(ack_type::name(6), Some("EXPIRED"));
    assert_eq!(transaction_type::COMMIT_ONE_PHASE, 2);
    assert_eq!(transaction_type::name(9), None);
    assert_eq!(destination_operation::REMOVE, 1);
}
