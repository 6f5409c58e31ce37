import { useParams } from "react-router";

import "./cron.css";
import { ScheduleDetail } from "./ScheduleDetail";
import { ScheduleList } from "./ScheduleList";

export default function CronPage() {
  const { schedule } = useParams();
  return schedule ? <ScheduleDetail key={schedule} id={schedule} /> : <ScheduleList />;
}
