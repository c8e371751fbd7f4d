// The consumer project's program: connects to the embedded server, finds the simulated toy,
// vibrates it and checks the bytes it received. Exits 0 on success.
#include <chrono>
#include <cstdio>
#include <thread>

#include <haptix.hpp>

int main() {
    auto context = haptix::Context::create(haptix::ContextOptions().simulated_device("LVS-Hush", "toy"));
    if (!context) {
        std::fprintf(stderr, "consumer: %s\n", context.error().describe().c_str());
        return 1;
    }
    auto client = haptix::Client::connect_embedded(*context);
    if (!client || !client->start_scanning()) {
        std::fprintf(stderr, "consumer: cannot connect and scan\n");
        return 1;
    }
    for (;;) {
        auto event = client->next_event(10000);
        if (!event || !*event) {
            std::fprintf(stderr, "consumer: no device\n");
            return 1;
        }
        if ((*event)->kind_case != haptix::v1::Event::KindCase::kDeviceAdded) {
            continue;
        }
        const std::uint32_t index = (*event)->device_added.device->index;
        (void)client->take_writes("toy");
        if (!client->call(haptix::request::vibrate(index, 0.5))) {
            std::fprintf(stderr, "consumer: vibrate failed\n");
            return 1;
        }
        for (int i = 0; i < 500; ++i) {
            auto writes = client->take_writes("toy");
            if (writes && !writes->empty()) {
                std::printf("consumer: libhaptix %s, the toy received \"%s\"\n", haptix::library_version(),
                            (*writes)[0].data.c_str());
                return (*writes)[0].data == "Vibrate:10;" ? 0 : 1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        std::fprintf(stderr, "consumer: the toy received nothing\n");
        return 1;
    }
}
