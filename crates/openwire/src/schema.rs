//! The OpenWire command set, described once.
//!
//! Each structure lists its fields in wire order with the wire kind of each
//! and the protocol versions it exists in (`[since..=until]`), inherited
//! fields (BaseCommand's `command_id`/`response_required`, Message's
//! headers) included. The kinds:
//!
//! | kind | wire form (tight / loose) |
//! |---|---|
//! | `bool` | a bit of the boolean stream / a byte |
//! | `byte`, `short`, `int`, `char` | big-endian fixed size |
//! | `long` | 0, 2, 4 or 8 bytes sized by two bits / 8 bytes |
//! | `string` | presence (+ ascii) bits, u16 length, modified UTF-8 |
//! | `bytes`, `byte_seq` | presence, i32 length, bytes |
//! | `const_bytes(n)` | exactly n bytes |
//! | `throwable` | presence, class, message (+ frames and cause when stack traces are on) |
//! | `nested` | presence, type byte, that structure's fields |
//! | `cached` | like `nested`, or an index into the marshalling cache when caching is on |
//! | `array` | presence, i16 count, nested structures |
//!
//! Field lists were taken from ActiveMQ's generated marshallers for each
//! version (facts about the wire format, restated here as data) and merged:
//! a field's range says in which versions it is on the wire.

use crate::mutf8::OwString;

/// An exception as OpenWire carries it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Throwable {
    /// Java class name, e.g. `javax.jms.InvalidClientIDException`.
    pub class: Option<OwString>,
    pub message: Option<OwString>,
    /// Present only when the format has stack traces enabled.
    pub stack: Option<Vec<StackFrame>>,
    pub cause: Option<Box<Throwable>>,
}

/// One stack trace element.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct StackFrame {
    pub class: Option<OwString>,
    pub method: Option<OwString>,
    pub file: Option<OwString>,
    pub line: i32,
}

/// BaseCommand's fields, which every command starts with: the sender's
/// number for it, and whether the sender waits for a Response to it
/// (which then carries the number as its correlation id).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CommandHeader {
    pub command_id: i32,
    pub response_required: bool,
}

impl DataType {
    /// The JMS message types, which share the [`Message`] structure.
    pub fn is_message(self) -> bool {
        matches!(
            self,
            DataType::ActiveMqMessage
                | DataType::BytesMessage
                | DataType::MapMessage
                | DataType::ObjectMessage
                | DataType::StreamMessage
                | DataType::TextMessage
        )
    }
}

impl DataStructure {
    /// Types that ActiveMQ may send pre-marshalled when nested (tight
    /// encoding then spends one more bit on them): messages and WireFormatInfo.
    pub fn is_marshal_aware(kind: u8) -> bool {
        match DataType::from_code(kind) {
            Some(t) => {
                t.is_message() || matches!(t, DataType::WireFormatInfo | DataType::BlobMessage)
            }
            None => false,
        }
    }

    /// A message as the JMS type its type byte names (anything that is not
    /// a message type: a plain ActiveMQMessage).
    pub fn message(kind: u8, m: std::sync::Arc<Message>) -> DataStructure {
        match DataType::from_code(kind) {
            Some(DataType::BytesMessage) => DataStructure::BytesMessage(m),
            Some(DataType::MapMessage) => DataStructure::MapMessage(m),
            Some(DataType::ObjectMessage) => DataStructure::ObjectMessage(m),
            Some(DataType::StreamMessage) => DataStructure::StreamMessage(m),
            Some(DataType::TextMessage) => DataStructure::TextMessage(m),
            _ => DataStructure::ActiveMqMessage(m),
        }
    }
}

structures! {
/// ActiveMQ's `WireFormatInfo` (type 1, versions 1-12).
WireFormatInfo {
    magic: const_bytes(8) [1..=12],
    version: int [1..=12],
    marshalled_properties: byte_seq [1..=12],
}
/// ActiveMQ's `BrokerInfo` (type 2, versions 1-12).
BrokerInfo {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `BrokerId`
    broker_id: cached [1..=12],
    broker_url: string [1..=12],
    /// array `BrokerInfo`
    peer_broker_infos: array [1..=12],
    broker_name: string [1..=12],
    slave_broker: bool [1..=12],
    master_broker: bool [1..=12],
    fault_tolerant_configuration: bool [1..=12],
    duplex_connection: bool [2..=12],
    network_connection: bool [2..=12],
    connection_id: long [2..=12],
    broker_upload_url: string [3..=12],
    network_properties: string [3..=12],
}
/// ActiveMQ's `ConnectionInfo` (type 3, versions 1-12).
ConnectionInfo {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `ConnectionId`
    connection_id: cached [1..=12],
    client_id: string [1..=12],
    password: string [1..=12],
    user_name: string [1..=12],
    /// array `BrokerId`
    broker_path: array [1..=12],
    broker_master_connector: bool [1..=12],
    manageable: bool [1..=12],
    client_master: bool [2..=12],
    fault_tolerant: bool [6..=12],
    failover_reconnect: bool [6..=12],
    client_ip: string [8..=12],
}
/// ActiveMQ's `SessionInfo` (type 4, versions 1-12).
SessionInfo {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `SessionId`
    session_id: cached [1..=12],
}
/// ActiveMQ's `ConsumerInfo` (type 5, versions 1-12).
ConsumerInfo {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `ConsumerId`
    consumer_id: cached [1..=12],
    browser: bool [1..=12],
    /// cached `ActiveMQDestination`
    destination: cached [1..=12],
    prefetch_size: int [1..=12],
    maximum_pending_message_limit: int [1..=12],
    dispatch_async: bool [1..=12],
    selector: string [1..=12],
    client_id: string [10..=12],
    subscription_name: string [1..=12],
    no_local: bool [1..=12],
    exclusive: bool [1..=12],
    retroactive: bool [1..=12],
    priority: byte [1..=12],
    /// array `BrokerId`
    broker_path: array [1..=12],
    /// nested `BooleanExpression`
    additional_predicate: nested [1..=12],
    network_subscription: bool [1..=12],
    optimized_acknowledge: bool [1..=12],
    no_range_acks: bool [1..=12],
    /// array `ConsumerId`
    network_consumer_path: array [4..=12],
}
/// ActiveMQ's `ProducerInfo` (type 6, versions 1-12).
ProducerInfo {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `ProducerId`
    producer_id: cached [1..=12],
    /// cached `ActiveMQDestination`
    destination: cached [1..=12],
    /// array `BrokerId`
    broker_path: array [1..=12],
    dispatch_async: bool [2..=12],
    window_size: int [3..=12],
}
/// ActiveMQ's `TransactionInfo` (type 7, versions 1-12).
TransactionInfo {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `ConnectionId`
    connection_id: cached [1..=12],
    /// cached `TransactionId`
    transaction_id: cached [1..=12],
    kind: byte [1..=12],
}
/// ActiveMQ's `DestinationInfo` (type 8, versions 1-12).
DestinationInfo {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `ConnectionId`
    connection_id: cached [1..=12],
    /// cached `ActiveMQDestination`
    destination: cached [1..=12],
    operation_type: byte [1..=12],
    timeout: long [1..=12],
    /// array `BrokerId`
    broker_path: array [1..=12],
}
/// ActiveMQ's `RemoveSubscriptionInfo` (type 9, versions 1-12).
RemoveSubscriptionInfo {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `ConnectionId`
    connection_id: cached [1..=12],
    subscription_name: string [1..=5],
    subcription_name: string [6..=12],
    client_id: string [1..=12],
}
/// ActiveMQ's `KeepAliveInfo` (type 10, versions 1-12).
KeepAliveInfo {
    command_id: int [1..=12],
    response_required: bool [1..=12],
}
/// ActiveMQ's `ShutdownInfo` (type 11, versions 1-12).
ShutdownInfo {
    command_id: int [1..=12],
    response_required: bool [1..=12],
}
/// ActiveMQ's `RemoveInfo` (type 12, versions 1-12).
RemoveInfo {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `DataStructure`
    object_id: cached [1..=12],
    last_delivered_sequence_id: long [5..=12],
}
/// ActiveMQ's `ControlCommand` (type 14, versions 1-12).
ControlCommand {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    command: string [1..=12],
}
/// ActiveMQ's `FlushCommand` (type 15, versions 1-12).
FlushCommand {
    command_id: int [1..=12],
    response_required: bool [1..=12],
}
/// ActiveMQ's `ConnectionError` (type 16, versions 1-12).
ConnectionError {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    exception: throwable [1..=12],
    /// nested `ConnectionId`
    connection_id: nested [1..=12],
}
/// ActiveMQ's `ConsumerControl` (type 17, versions 1-12).
ConsumerControl {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// nested `ActiveMQDestination`
    destination: nested [6..=12],
    close: bool [1..=12],
    /// nested `ConsumerId`
    consumer_id: nested [1..=12],
    prefetch: int [1..=12],
    flush: bool [2..=12],
    start: bool [2..=12],
    stop: bool [2..=12],
}
/// ActiveMQ's `ConnectionControl` (type 18, versions 1-12).
ConnectionControl {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    close: bool [1..=12],
    exit: bool [1..=12],
    fault_tolerant: bool [1..=12],
    resume: bool [1..=12],
    suspend: bool [1..=12],
    connected_brokers: string [6..=12],
    reconnect_to: string [6..=12],
    rebalance_connection: bool [6..=12],
    token: bytes [8..=12],
}
/// ActiveMQ's `ProducerAck` (type 19, versions 3-12).
ProducerAck {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// nested `ProducerId`
    producer_id: nested [3..=12],
    size: int [3..=12],
}
/// ActiveMQ's `MessagePull` (type 20, versions 2-12).
MessagePull {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `ConsumerId`
    consumer_id: cached [2..=12],
    /// cached `ActiveMQDestination`
    destination: cached [2..=12],
    timeout: long [2..=12],
    correlation_id: string [3..=12],
    /// nested `MessageId`
    message_id: nested [3..=12],
}
/// ActiveMQ's `MessageDispatch` (type 21, versions 1-12).
MessageDispatch {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `ConsumerId`
    consumer_id: cached [1..=12],
    /// cached `ActiveMQDestination`
    destination: cached [1..=12],
    /// nested `Message`
    message: nested [1..=12],
    redelivery_counter: int [1..=12],
}
/// ActiveMQ's `MessageAck` (type 22, versions 1-12).
MessageAck {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `ActiveMQDestination`
    destination: cached [1..=12],
    /// cached `TransactionId`
    transaction_id: cached [1..=12],
    /// cached `ConsumerId`
    consumer_id: cached [1..=12],
    ack_type: byte [1..=12],
    /// nested `MessageId`
    first_message_id: nested [1..=12],
    /// nested `MessageId`
    last_message_id: nested [1..=12],
    message_count: int [1..=12],
    poison_cause: throwable [7..=12],
}
/// ActiveMQ's `ActiveMQMessage` (type 23, versions 1-12).
Message {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `ProducerId`
    producer_id: cached [1..=12],
    /// cached `ActiveMQDestination`
    destination: cached [1..=12],
    /// cached `TransactionId`
    transaction_id: cached [1..=12],
    /// cached `ActiveMQDestination`
    original_destination: cached [1..=12],
    /// nested `MessageId`
    message_id: nested [1..=12],
    /// cached `TransactionId`
    original_transaction_id: cached [1..=12],
    group_id: string [1..=12],
    group_sequence: int [1..=12],
    correlation_id: string [1..=12],
    persistent: bool [1..=12],
    expiration: long [1..=12],
    priority: byte [1..=12],
    /// nested `ActiveMQDestination`
    reply_to: nested [1..=12],
    timestamp: long [1..=12],
    message_type: string [1..=12],
    content: byte_seq [1..=12],
    marshalled_properties: byte_seq [1..=12],
    /// nested `DataStructure`
    data_structure: nested [1..=12],
    /// cached `ConsumerId`
    target_consumer_id: cached [1..=12],
    compressed: bool [1..=12],
    redelivery_counter: int [1..=12],
    /// array `BrokerId`
    broker_path: array [1..=12],
    arrival: long [1..=12],
    user_id: string [1..=12],
    recieved_by_df_bridge: bool [1..=12],
    droppable: bool [2..=12],
    /// array `BrokerId`
    cluster: array [3..=12],
    broker_in_time: long [3..=12],
    broker_out_time: long [3..=12],
    jmsx_group_first_for_consumer: bool [10..=12],
}
/// ActiveMQ's `ActiveMQBlobMessage` (type 29, versions 3-12).
BlobMessage {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `ProducerId`
    producer_id: cached [1..=12],
    /// cached `ActiveMQDestination`
    destination: cached [1..=12],
    /// cached `TransactionId`
    transaction_id: cached [1..=12],
    /// cached `ActiveMQDestination`
    original_destination: cached [1..=12],
    /// nested `MessageId`
    message_id: nested [1..=12],
    /// cached `TransactionId`
    original_transaction_id: cached [1..=12],
    group_id: string [1..=12],
    group_sequence: int [1..=12],
    correlation_id: string [1..=12],
    persistent: bool [1..=12],
    expiration: long [1..=12],
    priority: byte [1..=12],
    /// nested `ActiveMQDestination`
    reply_to: nested [1..=12],
    timestamp: long [1..=12],
    message_type: string [1..=12],
    content: byte_seq [1..=12],
    marshalled_properties: byte_seq [1..=12],
    /// nested `DataStructure`
    data_structure: nested [1..=12],
    /// cached `ConsumerId`
    target_consumer_id: cached [1..=12],
    compressed: bool [1..=12],
    redelivery_counter: int [1..=12],
    /// array `BrokerId`
    broker_path: array [1..=12],
    arrival: long [1..=12],
    user_id: string [1..=12],
    recieved_by_df_bridge: bool [1..=12],
    droppable: bool [2..=12],
    /// array `BrokerId`
    cluster: array [3..=12],
    broker_in_time: long [3..=12],
    broker_out_time: long [3..=12],
    jmsx_group_first_for_consumer: bool [10..=12],
    remote_blob_url: string [3..=12],
    mime_type: string [3..=12],
    deleted_by_broker: bool [3..=12],
}
/// ActiveMQ's `Response` (type 30, versions 1-12).
Response {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    correlation_id: int [1..=12],
}
/// ActiveMQ's `ExceptionResponse` (type 31, versions 1-12).
ExceptionResponse {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    correlation_id: int [1..=12],
    exception: throwable [1..=12],
}
/// ActiveMQ's `DataResponse` (type 32, versions 1-12).
DataResponse {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    correlation_id: int [1..=12],
    /// nested `DataStructure`
    data: nested [1..=12],
}
/// ActiveMQ's `DataArrayResponse` (type 33, versions 1-12).
DataArrayResponse {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    correlation_id: int [1..=12],
    /// array `DataStructure`
    data: array [1..=12],
}
/// ActiveMQ's `IntegerResponse` (type 34, versions 1-12).
IntegerResponse {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    correlation_id: int [1..=12],
    result: int [1..=12],
}
/// ActiveMQ's `DiscoveryEvent` (type 40, versions 1-12).
DiscoveryEvent {
    service_name: string [1..=12],
    broker_name: string [1..=12],
}
/// ActiveMQ's `JournalTopicAck` (type 50, versions 1-12).
JournalTopicAck {
    /// nested `ActiveMQDestination`
    destination: nested [1..=12],
    /// nested `MessageId`
    message_id: nested [1..=12],
    message_sequence_id: long [1..=12],
    subscrition_name: string [1..=12],
    client_id: string [1..=12],
    /// nested `TransactionId`
    transaction_id: nested [1..=12],
}
/// ActiveMQ's `JournalQueueAck` (type 52, versions 1-12).
JournalQueueAck {
    /// nested `ActiveMQDestination`
    destination: nested [1..=12],
    /// nested `MessageAck`
    message_ack: nested [1..=12],
}
/// ActiveMQ's `JournalTrace` (type 53, versions 1-12).
JournalTrace {
    message: string [1..=12],
}
/// ActiveMQ's `JournalTransaction` (type 54, versions 1-12).
JournalTransaction {
    /// nested `TransactionId`
    transaction_id: nested [1..=12],
    kind: byte [1..=12],
    was_prepared: bool [1..=12],
}
/// ActiveMQ's `SubscriptionInfo` (type 55, versions 1-12).
SubscriptionInfo {
    client_id: string [1..=12],
    /// cached `ActiveMQDestination`
    destination: cached [1..=12],
    selector: string [1..=12],
    subscription_name: string [1..=5],
    subcription_name: string [6..=12],
    /// nested `ActiveMQDestination`
    subscribed_destination: nested [3..=12],
    no_local: bool [11..=12],
}
/// ActiveMQ's `PartialCommand` (type 60, versions 1-12).
PartialCommand {
    command_id: int [1..=12],
    data: bytes [1..=12],
}
/// ActiveMQ's `LastPartialCommand` (type 61, versions 1-12).
LastPartialCommand {
    command_id: int [1..=12],
    data: bytes [1..=12],
}
/// ActiveMQ's `ReplayCommand` (type 65, versions 1-12).
ReplayCommand {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    first_nak_number: int [1..=12],
    last_nak_number: int [1..=12],
}
/// ActiveMQ's `MessageDispatchNotification` (type 90, versions 1-12).
MessageDispatchNotification {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// cached `ConsumerId`
    consumer_id: cached [1..=12],
    /// cached `ActiveMQDestination`
    destination: cached [1..=12],
    delivery_sequence_id: long [1..=12],
    /// nested `MessageId`
    message_id: nested [1..=12],
}
/// ActiveMQ's `NetworkBridgeFilter` (type 91, versions 1-12).
NetworkBridgeFilter {
    network_ttl: int [1..=9],
    /// cached `BrokerId`
    network_broker_id: cached [1..=12],
    message_ttl: int [10..=12],
    consumer_ttl: int [10..=12],
}
/// ActiveMQ's `BrokerSubscriptionInfo` (type 92, versions 12-12).
BrokerSubscriptionInfo {
    command_id: int [1..=12],
    response_required: bool [1..=12],
    /// nested `BrokerId`
    broker_id: nested [12..=12],
    broker_name: string [12..=12],
    /// array `ConsumerInfo`
    subscription_infos: array [12..=12],
}
/// ActiveMQ's `ActiveMQQueue` (type 100, versions 1-12).
Queue {
    physical_name: string [1..=12],
}
/// ActiveMQ's `ActiveMQTopic` (type 101, versions 1-12).
Topic {
    physical_name: string [1..=12],
}
/// ActiveMQ's `ActiveMQTempQueue` (type 102, versions 1-12).
TempQueue {
    physical_name: string [1..=12],
}
/// ActiveMQ's `ActiveMQTempTopic` (type 103, versions 1-12).
TempTopic {
    physical_name: string [1..=12],
}
/// ActiveMQ's `MessageId` (type 110, versions 1-12).
MessageId {
    text_view: string [10..=12],
    /// cached `ProducerId`
    producer_id: cached [1..=12],
    producer_sequence_id: long [1..=12],
    broker_sequence_id: long [1..=12],
}
/// ActiveMQ's `LocalTransactionId` (type 111, versions 1-12).
LocalTransactionId {
    value: long [1..=12],
    /// cached `ConnectionId`
    connection_id: cached [1..=12],
}
/// ActiveMQ's `XATransactionId` (type 112, versions 1-12).
XaTransactionId {
    format_id: int [1..=12],
    global_transaction_id: bytes [1..=12],
    branch_qualifier: bytes [1..=12],
}
/// ActiveMQ's `ConnectionId` (type 120, versions 1-12).
ConnectionId {
    value: string [1..=12],
}
/// ActiveMQ's `SessionId` (type 121, versions 1-12).
SessionId {
    connection_id: string [1..=12],
    value: long [1..=12],
}
/// ActiveMQ's `ConsumerId` (type 122, versions 1-12).
ConsumerId {
    connection_id: string [1..=12],
    session_id: long [1..=12],
    value: long [1..=12],
}
/// ActiveMQ's `ProducerId` (type 123, versions 1-12).
ProducerId {
    connection_id: string [1..=12],
    value: long [1..=12],
    session_id: long [1..=12],
}
/// ActiveMQ's `BrokerId` (type 124, versions 1-12).
BrokerId {
    value: string [1..=12],
}}

data_structures! {
1 => WireFormatInfo(WireFormatInfo) [1..=12],
2 => BrokerInfo(BrokerInfo) [1..=12],
3 => ConnectionInfo(ConnectionInfo) [1..=12],
4 => SessionInfo(SessionInfo) [1..=12],
5 => ConsumerInfo(ConsumerInfo) [1..=12],
6 => ProducerInfo(ProducerInfo) [1..=12],
7 => TransactionInfo(TransactionInfo) [1..=12],
8 => DestinationInfo(DestinationInfo) [1..=12],
9 => RemoveSubscriptionInfo(RemoveSubscriptionInfo) [1..=12],
10 => KeepAliveInfo(KeepAliveInfo) [1..=12],
11 => ShutdownInfo(ShutdownInfo) [1..=12],
12 => RemoveInfo(RemoveInfo) [1..=12],
14 => ControlCommand(ControlCommand) [1..=12],
15 => FlushCommand(FlushCommand) [1..=12],
16 => ConnectionError(ConnectionError) [1..=12],
17 => ConsumerControl(ConsumerControl) [1..=12],
18 => ConnectionControl(ConnectionControl) [1..=12],
19 => ProducerAck(ProducerAck) [3..=12],
20 => MessagePull(MessagePull) [2..=12],
21 => MessageDispatch(MessageDispatch) [1..=12],
22 => MessageAck(MessageAck) [1..=12],
23 => ActiveMqMessage(Message) [1..=12],
24 => BytesMessage(Message) [1..=12],
25 => MapMessage(Message) [1..=12],
26 => ObjectMessage(Message) [1..=12],
27 => StreamMessage(Message) [1..=12],
28 => TextMessage(Message) [1..=12],
29 => BlobMessage(BlobMessage) [3..=12],
30 => Response(Response) [1..=12],
31 => ExceptionResponse(ExceptionResponse) [1..=12],
32 => DataResponse(DataResponse) [1..=12],
33 => DataArrayResponse(DataArrayResponse) [1..=12],
34 => IntegerResponse(IntegerResponse) [1..=12],
40 => DiscoveryEvent(DiscoveryEvent) [1..=12],
50 => JournalTopicAck(JournalTopicAck) [1..=12],
52 => JournalQueueAck(JournalQueueAck) [1..=12],
53 => JournalTrace(JournalTrace) [1..=12],
54 => JournalTransaction(JournalTransaction) [1..=12],
55 => SubscriptionInfo(SubscriptionInfo) [1..=12],
60 => PartialCommand(PartialCommand) [1..=12],
61 => LastPartialCommand(LastPartialCommand) [1..=12],
65 => ReplayCommand(ReplayCommand) [1..=12],
90 => MessageDispatchNotification(MessageDispatchNotification) [1..=12],
91 => NetworkBridgeFilter(NetworkBridgeFilter) [1..=12],
92 => BrokerSubscriptionInfo(BrokerSubscriptionInfo) [12..=12],
100 => Queue(Queue) [1..=12],
101 => Topic(Topic) [1..=12],
102 => TempQueue(TempQueue) [1..=12],
103 => TempTopic(TempTopic) [1..=12],
110 => MessageId(MessageId) [1..=12],
111 => LocalTransactionId(LocalTransactionId) [1..=12],
112 => XaTransactionId(XaTransactionId) [1..=12],
120 => ConnectionId(ConnectionId) [1..=12],
121 => SessionId(SessionId) [1..=12],
122 => ConsumerId(ConsumerId) [1..=12],
123 => ProducerId(ProducerId) [1..=12],
124 => BrokerId(BrokerId) [1..=12],}

codes! {
/// `MessageAck.ack_type`: what an acknowledgement says about the messages
/// it names (ActiveMQ's `MessageAck.*_ACK_TYPE`).
pub mod ack_type: i8 {
    /// Delivered to the application, not yet consumed: opens the
    /// prefetch window without removing anything.
    DELIVERED = 0,
    /// Failed redelivery too often: to the dead-letter queue.
    POISON = 1,
    /// Consumed, along with every earlier message of the consumer.
    STANDARD = 2,
    /// Redelivered to the application (counts towards poisoning).
    REDELIVERED = 3,
    /// Consumed, just this one message.
    INDIVIDUAL = 4,
    /// Not matching a durable subscriber's selector: drop it.
    UNMATCHED = 5,
    /// Expired at the client: drop it.
    EXPIRED = 6,
}

/// `TransactionInfo.kind`: the transaction operation (ActiveMQ's
/// `TransactionInfo` constants).
pub mod transaction_type: i8 {
    BEGIN = 0,
    PREPARE = 1,
    COMMIT_ONE_PHASE = 2,
    COMMIT_TWO_PHASE = 3,
    ROLLBACK = 4,
    RECOVER = 5,
    FORGET = 6,
    END = 7,
}

/// `DestinationInfo.operation_type`: whether a destination was added or
/// removed (ActiveMQ's `DestinationInfo.*_OPERATION_TYPE`).
pub mod destination_operation: i8 {
    ADD = 0,
    REMOVE = 1,
}
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
