//! Destinations: OpenWire's four destination structures ⇄ the core's
//! [`Destination`].

use std::sync::Arc;

use model::{Destination, DestinationKind};
use openwire::{DataStructure, OwString};

/// The core destination an OpenWire destination names.
pub fn destination(ds: &DataStructure) -> Option<Destination> {
    let (kind, name) = match ds {
        DataStructure::Queue(d) => (DestinationKind::Queue, &d.physical_name),
        DataStructure::Topic(d) => (DestinationKind::Topic, &d.physical_name),
        DataStructure::TempQueue(d) => (DestinationKind::TempQueue, &d.physical_name),
        DataStructure::TempTopic(d) => (DestinationKind::TempTopic, &d.physical_name),
        _ => return None,
    };
    Some(Destination::new(kind, name.as_ref()?.to_string_lossy()))
}

/// The OpenWire form of a core destination.
pub fn wire_destination(d: &Destination) -> DataStructure {
    let physical_name = Some(OwString::from(&*d.name));
    match d.kind {
        DestinationKind::Queue => DataStructure::Queue(Arc::new(openwire::Queue { physical_name })),
        DestinationKind::Topic => DataStructure::Topic(Arc::new(openwire::Topic { physical_name })),
        DestinationKind::TempQueue => {
            DataStructure::TempQueue(Arc::new(openwire::TempQueue { physical_name }))
        }
        DestinationKind::TempTopic => {
            DataStructure::TempTopic(Arc::new(openwire::TempTopic { physical_name }))
        }
    }
}
