// haptix.hpp: the C++ binding of the Haptix library (C++17, header-only).
//
// A thin RAII layer over the C ABI of include/haptix.h: move-only owners (haptix::Context,
// haptix::Client, haptix::Server) that free their handle through the C functions, a
// [[nodiscard]] haptix::Result<T> instead of exceptions (the binding builds and works with
// -fno-exceptions -fno-rtti), the haptix.v1 messages as plain structs with a generated codec
// (no libprotobuf), and events by polling or by std::function handlers on the library's
// dispatcher thread. Threading and ordering follow docs/event-model.md.
//
//     haptix::Result<haptix::Context> context =
//         haptix::Context::create(haptix::ContextOptions().simulated_device("LVS-Hush", "hush"));
//     haptix::Result<haptix::Client> client = haptix::Client::connect_embedded(*context);
//     (void)client->start_scanning();
//     ... take events with client->next_event(0) once per frame ...
//     (void)client->vibrate(device_index, 0.5);
//
// Link with the native library (CMake: target_link_libraries(app PRIVATE Haptix::haptixpp)).

#ifndef HAPTIX_HPP
#define HAPTIX_HPP

#include "haptix/result.hpp"
#include "haptix/wire.hpp"
#include "haptix/messages.hpp"
#include "haptix/context.hpp"
#include "haptix/client.hpp"

#endif  // HAPTIX_HPP
