"""pymodbus as Modbus RTU master against roadwarden's virtual light controller (interop test).

Usage: /usr/bin/python3 pymodbus_master.py TTY UNIT
Prints one JSON object with what the controller answered.
"""
import json
import sys

from pymodbus.client import ModbusSerialClient

port, unit = sys.argv[1], int(sys.argv[2])
client = ModbusSerialClient(port=port, baudrate=9600, timeout=1, retries=2)
if not client.connect():
    print(json.dumps({"error": "cannot open " + port}))
    sys.exit(2)

out = {}
client.write_coils(0, [True, False, True, False], slave=unit)
out["after_write_coils"] = client.read_coils(0, 4, slave=unit).bits[:4]
client.write_coil(1, True, slave=unit)
out["after_write_coil"] = client.read_coils(0, 4, slave=unit).bits[:4]
regs = client.read_holding_registers(0, 2, slave=unit)
out["registers"] = regs.registers
bad = client.read_coils(100, 4, slave=unit)
out["illegal_address_exception"] = bad.isError() and getattr(bad, "exception_code", None)
client.close()
print(json.dumps(out))
