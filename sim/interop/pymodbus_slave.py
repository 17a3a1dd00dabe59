"""pymodbus as Modbus RTU slave, for roadwarden's light driver to drive (interop test).

Usage: /usr/bin/python3 pymodbus_slave.py TTY UNIT
Serves 8 coils and 16 holding registers until killed; prints "ready" once listening.
"""
import asyncio
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartAsyncSerialServer
from pymodbus.transaction import ModbusRtuFramer

port, unit = sys.argv[1], int(sys.argv[2])
store = ModbusSlaveContext(
    co=ModbusSequentialDataBlock(0, [False] * 8),
    hr=ModbusSequentialDataBlock(0, [0] * 16),
    zero_mode=True,
)
context = ModbusServerContext(slaves={unit: store}, single=False)


async def main():
    server = await StartAsyncSerialServer(
        context=context, framer=ModbusRtuFramer, port=port, baudrate=9600, defer_start=True
    )
    await server.start()
    print("ready", flush=True)
    await server.serve_forever()


asyncio.run(main())
